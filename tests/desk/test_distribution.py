"""Ticket distribution: Attend a new customer, slots, FIFO, directed first (R13), transfers."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from desk.models import Ticket
from desk.services import (
    ticket_attend_next,
    ticket_close,
    ticket_reply,
    ticket_transfer,
)
from tests.bots.factories import BotFactory, ContactFactory
from tests.desk.factories import (
    AttendantFactory,
    DeskSettingsFactory,
    TeamFactory,
    TicketFactory,
)
from tests.services import require_postgres


def waiting(bot, team, minutes_ago, **kwargs):
    ticket = TicketFactory(bot=bot, team=team, **kwargs)
    created = timezone.now() - dt.timedelta(minutes=minutes_ago)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    return ticket


@pytest.fixture
def queue(db):
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    ana = AttendantFactory(bot=bot, email="ana@example.com", teams=[team], slots=2)
    return bot, team, ana


def test_FIFO_oldest_waiting_of_the_team_first(queue):
    bot, team, ana = queue
    newer = waiting(bot, team, 1)
    older = waiting(bot, team, 10)
    first = ticket_attend_next(attendant=ana)
    assert first == older
    assert (first.status, first.attendant, first.opened_at is not None) == ("open", ana, True)
    assert ticket_attend_next(attendant=ana) == newer


def test_R13_directed_ticket_first_even_when_newer(queue):
    bot, team, ana = queue
    waiting(bot, team, 30)
    directed = waiting(bot, TeamFactory(bot=bot, name="Default"), 1, requested_attendant=ana)
    assert ticket_attend_next(attendant=ana) == directed


def test_R13_directed_ticket_is_not_taken_by_a_colleague(queue):
    bot, team, ana = queue
    bruno = AttendantFactory(bot=bot, teams=[team])
    waiting(bot, team, 5, requested_attendant=ana)
    assert ticket_attend_next(attendant=bruno) is None


def test_R13_directed_ticket_waits_while_the_attendant_is_offline(queue):
    bot, team, ana = queue
    ana.status = "offline"
    ana.save()
    directed = waiting(bot, team, 5, requested_attendant=ana)
    directed.refresh_from_db()
    assert directed.status == "waiting" and directed.attendant is None


def test_other_teams_are_not_served(queue):
    bot, _team, ana = queue
    waiting(bot, TeamFactory(bot=bot, name="Suporte"), 5)
    assert ticket_attend_next(attendant=ana) is None


def test_slots_full_takes_nothing(queue):
    bot, team, ana = queue
    for minutes in (3, 2, 1):
        waiting(bot, team, minutes)
    ticket_attend_next(attendant=ana)
    ticket_attend_next(attendant=ana)
    with pytest.raises(ValidationError) as err:
        ticket_attend_next(attendant=ana)
    assert err.value.code == "slots_full"
    assert Ticket.objects.filter(status="waiting").count() == 1


def test_manual_mode_closing_frees_a_slot_for_the_button(queue):
    bot, team, ana = queue
    DeskSettingsFactory(bot=bot, manual=True)
    tickets = [waiting(bot, team, m) for m in (3, 2, 1)]
    ticket_attend_next(attendant=ana)
    ticket_attend_next(attendant=ana)
    closed = ticket_close(ticket=Ticket.objects.get(pk=tickets[0].pk))
    assert closed.status == "closed_attendant" and closed.closed_at
    assert Ticket.objects.get(pk=tickets[2].pk).status == "waiting"
    assert ticket_attend_next(attendant=ana) == tickets[2]


def test_R21_closing_frees_a_slot_that_takes_the_next_customer_at_once(queue):
    bot, team, ana = queue
    tickets = [waiting(bot, team, m) for m in (3, 2, 1)]
    ticket_attend_next(attendant=ana)
    ticket_attend_next(attendant=ana)
    ticket_close(ticket=Ticket.objects.get(pk=tickets[0].pk))
    third = Ticket.objects.get(pk=tickets[2].pk)
    assert (third.status, third.attendant) == ("open", ana)


def test_close_only_from_open(queue):
    bot, team, _ana = queue
    with pytest.raises(ValidationError) as err:
        ticket_close(ticket=waiting(bot, team, 1))
    assert err.value.code == "ticket_transition"


def test_transfer_to_an_attendant_makes_a_directed_waiting_ticket(queue):
    bot, team, ana = queue
    DeskSettingsFactory(bot=bot, manual=True)
    bruno = AttendantFactory(bot=bot, teams=[team])
    ticket = waiting(bot, team, 1)
    ticket_attend_next(attendant=ana)
    new = ticket_transfer(ticket=Ticket.objects.get(pk=ticket.pk), attendant=bruno)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.transferred_to) == ("transferred", new)
    assert (new.status, new.requested_attendant, new.routed_by) == ("waiting", bruno, "transfer")
    assert new.sequence != ticket.sequence
    assert ticket_attend_next(attendant=bruno) == new


def test_transfer_to_a_team_of_another_bot_is_refused(queue):
    bot, team, _ana = queue
    with pytest.raises(ValidationError) as err:
        ticket_transfer(ticket=waiting(bot, team, 1), team=TeamFactory())
    assert err.value.code == "transfer_other_bot"


def test_reply_goes_through_the_gateway_within_24h(queue):
    bot, team, ana = queue
    contact = ContactFactory(bot=bot, last_inbound_at=timezone.now() - dt.timedelta(hours=23))
    waiting(bot, team, 1, contact=contact)
    ticket = ticket_attend_next(attendant=ana)
    message = ticket_reply(ticket=ticket, attendant=ana, text="Olá, sou a Ana")
    assert (message.direction, message.status, message.kind) == ("out", "sent", "text")
    assert message.gateway_message_id == f"outbox:{message.pk}"
    assert message.ticket_link.attendant == ana


def test_reply_after_24h_is_refused(queue):
    bot, team, ana = queue
    contact = ContactFactory(bot=bot, last_inbound_at=timezone.now() - dt.timedelta(hours=25))
    waiting(bot, team, 1, contact=contact)
    ticket = ticket_attend_next(attendant=ana)
    with pytest.raises(ValidationError) as err:
        ticket_reply(ticket=ticket, attendant=ana, text="Olá")
    assert err.value.code == "window_closed"


def test_reply_gateway_failure_marks_the_message_failed(queue, monkeypatch):
    from bots.gateway import PermanentGatewayError
    from bots.gateway.outbox import OutboxGateway

    def boom(self, **kwargs):
        raise PermanentGatewayError("number blocked")

    monkeypatch.setattr(OutboxGateway, "send_text", boom)
    bot, team, ana = queue
    waiting(bot, team, 1, contact=ContactFactory(bot=bot, last_inbound_at=timezone.now()))
    message = ticket_reply(ticket=ticket_attend_next(attendant=ana), attendant=ana, text="Oi")
    assert message.status == "failed" and "blocked" in message.failure_reason


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_attendants_racing_never_get_the_same_ticket():
    require_postgres()
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    people = [AttendantFactory(bot=bot, teams=[team], slots=50) for _ in range(2)]
    tickets = [waiting(bot, team, 30 - i) for i in range(20)]
    barrier = threading.Barrier(2)
    taken: dict[int, list[int]] = {p.pk: [] for p in people}

    def work(attendant):
        try:
            barrier.wait()
            while (ticket := ticket_attend_next(attendant=attendant)) is not None:
                taken[attendant.pk].append(ticket.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everyone = taken[people[0].pk] + taken[people[1].pk]
    assert sorted(everyone) == sorted(t.pk for t in tickets)  # each ticket exactly once
    for person in people:
        assert Ticket.objects.filter(attendant=person, status="open").count() == len(
            taken[person.pk]
        )


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pause", "invisible", "offline"])
def test_attendant_must_be_online_to_attend_a_new_customer(status):
    from django.core.exceptions import ValidationError

    from bots.errors import error_codes
    from desk.services import ticket_attend_next
    from tests.desk.factories import AttendantFactory

    attendant = AttendantFactory(status=status)
    with pytest.raises(ValidationError) as error:
        ticket_attend_next(attendant=attendant)
    assert error_codes(error.value) == {"attendant_not_online"}
