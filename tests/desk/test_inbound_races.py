"""The lean inbound path under real concurrency (PostgreSQL): workers receiving at once.

Each worker reads the facts, then waits a moment before writing, so that both have read
"no open ticket" before either writes: the unique indexes have to settle every race.
"""

import threading
import time

import pytest
from django.db import connection

from bots.models import Message, ProcessedEnvelope
from bots.services import contact_move_to_block
from desk import inbound
from desk.inbound import inbound_receive
from desk.models import InboundRouting, Ticket, TicketMessage, TicketSequence
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.services import require_postgres

PHONE = "+5511987654321"


@pytest.fixture
def slow_decision(monkeypatch):
    decide = inbound.decide

    def slow(ctx):
        time.sleep(0.05)
        return decide(ctx)

    monkeypatch.setattr(inbound, "decide", slow)


def _run(workers) -> list:
    barrier = threading.Barrier(len(workers))
    results, errors = [], []

    def wrap(work):
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # reported below: a worker must never fail
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def _desk():
    bot = BotFactory(desk_enabled=True)
    human = FlowBlockFactory(bot=bot, human=True)
    contact = ContactFactory(bot=bot, phone=PHONE)
    contact_move_to_block(contact=contact, bot=bot, block=human)
    return bot


def _worker(bot, envelope_id, text="Oi"):
    return lambda: inbound_receive(bot=bot, phone=PHONE, text=text, envelope_id=envelope_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_R21_two_workers_with_one_envelope_and_two_messages_of_one_contact(slow_decision):
    require_postgres()
    bot = _desk()
    results = _run([_worker(bot, "a"), _worker(bot, "a"), _worker(bot, "b"), _worker(bot, "b")])
    # Each envelope once (the redeliveries are no-ops that wrote nothing) ...
    assert sorted(r.duplicate for r in results) == [False, False, True, True]
    assert ProcessedEnvelope.objects.count() == 2
    assert sorted(Message.objects.values_list("gateway_message_id", flat=True)) == ["a", "b"]
    # ... one open ticket for the contact, holding both messages ...
    ticket = Ticket.objects.get()
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2
    assert set(InboundRouting.objects.values_list("ticket_id", flat=True)) == {ticket.pk}
    # ... and the number the loser took went back: numbers still follow each other.
    assert ticket.sequence == 1 == TicketSequence.objects.get(bot=bot).last


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_contacts_at_once_get_consecutive_ticket_numbers(slow_decision):
    require_postgres()
    bot = _desk()
    human = bot.blocks.get()
    phones = [f"+55119876543{i:02d}" for i in range(6)]
    for phone in phones:
        contact_move_to_block(contact=ContactFactory(bot=bot, phone=phone), bot=bot, block=human)
    _run(
        [
            lambda p=p: inbound_receive(bot=bot, phone=p, text="Oi", envelope_id=f"e{p}")
            for p in phones
        ]
    )
    numbers = sorted(Ticket.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 7)) and TicketSequence.objects.get(bot=bot).last == 6
