"""An inbound message's after-commit effects: run once by its task, repaired if it is lost."""

import datetime as dt

import pytest
from django.utils import timezone

from bots.models import Contact
from bots.services import contact_move_to_block
from desk.inbound import inbound_receive
from desk.inbound_effects import REPAIR_AFTER, inbound_effects_repair, inbound_effects_run
from desk.models import InboundRouting, Ticket
from desk.signals import contact_replied
from desk.timers import desk_timers_tick
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.desk.factories import AttendantFactory

pytestmark = pytest.mark.django_db
PHONE = "+5511987654321"
NODE = "5511987654321@wa.gw.msging.net"


@pytest.fixture
def desk():
    bot = BotFactory(desk_enabled=True)
    human = FlowBlockFactory(bot=bot, human=True)
    contact = ContactFactory(bot=bot, phone=PHONE)
    contact_move_to_block(contact=contact, bot=bot, block=human)
    ana = AttendantFactory(bot=bot, teams=[bot.teams.get(name="Default")])
    return type("Desk", (), {"bot": bot, "contact": contact, "ana": ana})


@pytest.fixture
def replied():
    heard = []

    def listener(sender, *, message, at, **kwargs):
        heard.append((message.pk, at))

    contact_replied.connect(listener)
    yield heard
    contact_replied.disconnect(listener)


def receive(desk, envelope_id="env-1"):
    return inbound_receive(
        bot=desk.bot, phone=PHONE, identity=NODE, text="Oi", envelope_id=envelope_id
    )


def test_R21_the_task_places_the_ticket_touches_the_contact_and_signals_once(
    desk, replied, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = receive(desk)
    ticket = Ticket.objects.get(pk=result.ticket_id)
    contact = Contact.objects.get(pk=desk.contact.pk)
    assert (ticket.status, ticket.attendant) == ("open", desk.ana)
    assert contact.last_inbound_at is not None and contact.whatsapp_identity == NODE
    assert InboundRouting.objects.get().effects_at is not None
    assert replied == [(result.message.pk, contact.last_inbound_at)]
    # A task delivered twice (acks_late after a worker died) finds its work done.
    assert inbound_effects_run(routing_id=result.routing.pk) is False
    assert len(replied) == 1


def test_R21_a_lost_task_is_repaired_by_the_desk_timers(desk, replied):
    result = receive(desk)  # the commit's task never runs: a crash right after the commit
    routing = InboundRouting.objects.get()
    assert routing.effects_at is None
    assert Contact.objects.get(pk=desk.contact.pk).last_inbound_at is None
    # Still fresh: a healthy queue may be about to run it.
    assert inbound_effects_repair(now=timezone.now() + REPAIR_AFTER / 2) == []
    later = timezone.now() + REPAIR_AFTER + dt.timedelta(seconds=1)
    assert inbound_effects_repair(now=later) == [result.routing.pk]
    contact = Contact.objects.get(pk=desk.contact.pk)
    assert contact.last_inbound_at == result.message.created_at
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.status, ticket.attendant) == ("open", desk.ana)
    assert replied == [(result.message.pk, result.message.created_at)]
    assert InboundRouting.objects.get().effects_at is not None
    assert inbound_effects_repair(now=later + REPAIR_AFTER) == []  # once


def test_the_desk_timers_run_the_repair(desk):
    result = receive(desk)
    later = timezone.now() + REPAIR_AFTER + dt.timedelta(seconds=1)
    assert desk_timers_tick(now=later)["inbound_repaired"] == [result.routing.pk]
    assert Contact.objects.get(pk=desk.contact.pk).whatsapp_identity == ""  # lost with the task


def test_a_failing_effect_is_kept_for_the_next_repair(desk, monkeypatch):
    receive(desk)

    def broken(**kwargs):
        raise RuntimeError("the webhook store is down")

    monkeypatch.setattr("desk.inbound_effects._touch", broken)
    later = timezone.now() + REPAIR_AFTER * 2
    assert inbound_effects_repair(now=later) == []
    assert InboundRouting.objects.get().effects_at is None  # rolled back with the effects
    monkeypatch.undo()
    assert len(inbound_effects_repair(now=later)) == 1


def test_a_redelivered_envelope_writes_nothing(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receive(desk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = receive(desk)
    assert again.duplicate and callbacks == []
    assert InboundRouting.objects.count() == 1 and Ticket.objects.count() == 1
