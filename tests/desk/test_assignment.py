"""Automatic distribution (R21) applied: the hooks, manual mode, and races on PostgreSQL."""

import datetime as dt
import random
import threading
import time

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from bots.services import contact_move_to_block
from desk import assignment
from desk.assignment import (
    attendant_fill_slots,
    ticket_distribute,
    tickets_distribute_waiting,
)
from desk.inbound import inbound_receive
from desk.models import Attendant, Ticket
from desk.services import attendant_change_status, ticket_close, ticket_transfer
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.desk.factories import (
    AttendantFactory,
    DeskSettingsFactory,
    TeamFactory,
    TicketFactory,
)
from tests.services import require_postgres


def waiting(bot, team, minutes_ago=1, **kwargs):
    ticket = TicketFactory(bot=bot, team=team, **kwargs)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return ticket


def reload(ticket):
    return Ticket.objects.select_related("attendant").get(pk=ticket.pk)


@pytest.fixture
def desk(db):
    bot = BotFactory(desk_enabled=True)
    vendas = TeamFactory(bot=bot, name="Vendas")
    human = FlowBlockFactory(bot=bot, human=True)
    return type("Desk", (), {"bot": bot, "vendas": vendas, "human": human})


def reply(desk, phone="+5511987654321", text="Oi"):
    """A customer writes; the message's after-commit task runs as its commit would run it."""
    contact = ContactFactory(bot=desk.bot, phone=phone)
    contact_move_to_block(contact=contact, bot=desk.bot, block=desk.human)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return inbound_receive(bot=desk.bot, phone=phone, text=text)


def test_R21_a_new_ticket_goes_at_once_to_the_attendant_with_fewest_open_tickets(desk):
    busy = AttendantFactory(bot=desk.bot, teams=[desk.bot.teams.get(name="Default")])
    calm = AttendantFactory(bot=desk.bot, teams=[desk.bot.teams.get(name="Default")])
    TicketFactory(bot=desk.bot, open=True, attendant=busy, sequence=900)
    result = reply(desk)
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.status, ticket.attendant, result.opened) == ("open", calm, True)
    assert ticket.opened_at is not None


def test_R21_ties_go_to_whoever_waited_longest_for_a_new_ticket(desk):
    default = desk.bot.teams.get(name="Default")
    recent = AttendantFactory(bot=desk.bot, teams=[default])
    longest = AttendantFactory(bot=desk.bot, teams=[default])
    Attendant.objects.filter(pk=recent.pk).update(last_assigned_at=timezone.now())
    Attendant.objects.filter(pk=longest.pk).update(
        last_assigned_at=timezone.now() - dt.timedelta(hours=1)
    )
    first = ticket_distribute(ticket_id=waiting(desk.bot, default).pk)
    second = ticket_distribute(ticket_id=waiting(desk.bot, default).pk)
    # Then both hold one ticket and the other one has waited longer.
    assert (first.attendant_id, second.attendant_id) == (longest.pk, recent.pk)


@pytest.mark.parametrize("status", ["pause", "invisible", "offline"])
def test_R21_paused_invisible_and_offline_attendants_receive_nothing(desk, status):
    AttendantFactory(bot=desk.bot, status=status, teams=[desk.bot.teams.get(name="Default")])
    result = reply(desk)
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.status, ticket.attendant) == ("waiting", None)


def test_R21_full_slots_receive_nothing_and_the_ticket_waits(desk):
    ana = AttendantFactory(bot=desk.bot, slots=1, teams=[desk.vendas])
    TicketFactory(bot=desk.bot, open=True, attendant=ana)
    assert ticket_distribute(ticket_id=waiting(desk.bot, desk.vendas).pk) is None


def test_R21_a_directed_ticket_goes_only_to_its_attendant(desk):
    ana = AttendantFactory(bot=desk.bot, teams=[desk.vendas], offline=True)
    AttendantFactory(bot=desk.bot, teams=[desk.vendas])  # Online, free, but not the one asked for
    directed = waiting(desk.bot, desk.vendas, requested_attendant=ana)
    assert ticket_distribute(ticket_id=directed.pk) is None
    attendant_change_status(attendant=ana, status="online")
    assert (reload(directed).status, reload(directed).attendant) == ("open", ana)


def test_R21_turning_online_takes_directed_first_then_the_oldest_of_the_teams(desk):
    ana = AttendantFactory(bot=desk.bot, teams=[desk.vendas], slots=2, offline=True)
    old = waiting(desk.bot, desk.vendas, 30)
    newer = waiting(desk.bot, desk.vendas, 20)
    directed = waiting(desk.bot, desk.bot.teams.get(name="Default"), 1, requested_attendant=ana)
    attendant_change_status(attendant=ana, status="online")
    assert [reload(t).attendant for t in (directed, old, newer)] == [ana, ana, None]
    assert reload(newer).status == "waiting"


def test_R21_invisible_keeps_its_tickets_but_receives_none(desk):
    ana = AttendantFactory(bot=desk.bot, teams=[desk.vendas])
    held = TicketFactory(bot=desk.bot, team=desk.vendas, open=True, attendant=ana)
    attendant_change_status(attendant=ana, status="invisible")
    later = waiting(desk.bot, desk.vendas)
    assert ticket_distribute(ticket_id=later.pk) is None
    assert (reload(held).status, reload(held).attendant) == ("open", ana)


def test_R21_manual_mode_leaves_tickets_for_the_button(desk):
    DeskSettingsFactory(bot=desk.bot, manual=True)
    ana = AttendantFactory(bot=desk.bot, teams=[desk.bot.teams.get(name="Default")])
    result = reply(desk)
    assert Ticket.objects.get(pk=result.ticket_id).status == "waiting"
    attendant_change_status(attendant=ana, status="pause")
    attendant_change_status(attendant=ana, status="online")
    assert Ticket.objects.get(pk=result.ticket_id).status == "waiting"
    assert attendant_fill_slots(attendant_id=ana.pk) == []


def test_R21_a_transfer_to_a_team_is_placed_at_once_and_the_freed_slot_refills(
    desk, django_capture_on_commit_callbacks
):
    suporte = TeamFactory(bot=desk.bot, name="Suporte")
    ana = AttendantFactory(bot=desk.bot, teams=[desk.vendas], slots=1)
    carla = AttendantFactory(bot=desk.bot, teams=[suporte])
    mine = TicketFactory(bot=desk.bot, team=desk.vendas, open=True, attendant=ana)
    next_in_line = waiting(desk.bot, desk.vendas, 5)
    with django_capture_on_commit_callbacks(execute=True):
        new = ticket_transfer(ticket=mine, team=suporte)
    assert (new.status, new.attendant) == ("open", carla)
    assert (reload(next_in_line).status, reload(next_in_line).attendant) == ("open", ana)


def test_R21_the_sweep_places_what_no_hook_could(desk):
    ana = AttendantFactory(bot=desk.bot, teams=[desk.vendas], slots=2)
    tickets = [waiting(desk.bot, desk.vendas, m) for m in (3, 2, 1)]
    offline_only = waiting(desk.bot, TeamFactory(bot=desk.bot, name="Noite"))
    assert tickets_distribute_waiting() == 2
    assert [reload(t).attendant for t in tickets] == [ana, ana, None]
    assert reload(offline_only).status == "waiting"
    assert tickets_distribute_waiting() == 0  # idempotent


def test_R21_closing_hands_the_slot_to_the_next_customer(desk):
    ana = AttendantFactory(bot=desk.bot, teams=[desk.vendas], slots=1)
    mine = TicketFactory(bot=desk.bot, team=desk.vendas, open=True, attendant=ana)
    queued = waiting(desk.bot, desk.vendas)
    ticket_close(ticket=mine)
    assert (reload(queued).status, reload(queued).attendant) == ("open", ana)


# --- PostgreSQL: real concurrency, each thread on its own connection -------------------------


def _run(workers):
    barrier = threading.Barrier(len(workers))
    errors = []

    def wrap(work):
        try:
            barrier.wait()
            work()
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


@pytest.fixture
def wide_race(monkeypatch):
    """Hold each transaction a moment between counting the load and claiming the ticket.

    Without the locks, concurrent assigners then all see the same free slot: the tests below
    fail at once (tried by removing the ``select_for_update`` from ``ticket_distribute``).
    """
    counted = assignment._open_counts

    def slow_counts(ids):
        result = counted(ids)
        time.sleep(0.005)
        return result

    monkeypatch.setattr(assignment, "_open_counts", slow_counts)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_R21_concurrent_assigners_never_assign_twice_nor_overfill_a_slot(wide_race):
    require_postgres()
    bot = BotFactory(desk_enabled=True)
    team = TeamFactory(bot=bot, name="Vendas")
    online = [AttendantFactory(bot=bot, teams=[team], slots=3) for _ in range(3)]
    late = AttendantFactory(bot=bot, teams=[team], slots=3, offline=True)
    people = [*online, late]
    ids = [waiting(bot, team, 60 - i).pk for i in range(40)]
    claims: list[int] = []  # every successful claim of every thread

    def assigner(seed):
        def work():
            order = ids[:]
            random.Random(seed).shuffle(order)
            claims.extend(pk for pk in order if ticket_distribute(ticket_id=pk) is not None)

        return work

    def comes_online():
        attendant_change_status(attendant=late, status="online")
        claims.extend(attendant_fill_slots(attendant_id=late.pk))

    _run([assigner(seed) for seed in range(4)] + [comes_online])
    tickets_distribute_waiting()
    open_by = {p.pk: Ticket.objects.filter(attendant=p, status="open").count() for p in people}
    assert len(claims) == len(set(claims))  # never assigned twice
    assert max(open_by.values()) <= 3  # never over a slot
    assert sum(open_by.values()) == 12  # and every slot is used while customers wait
    assert Ticket.objects.filter(status="waiting").count() == 28


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_R21_closing_and_new_customers_racing_keep_every_slot_limit(wide_race):
    require_postgres()
    bot = BotFactory(desk_enabled=True)
    team = TeamFactory(bot=bot, name="Vendas")
    people = [AttendantFactory(bot=bot, teams=[team], slots=2) for _ in range(3)]
    held = [
        TicketFactory(bot=bot, team=team, open=True, attendant=p) for p in people for _ in range(2)
    ]
    queue = [waiting(bot, team, 30 - i) for i in range(20)]
    limits_seen = []

    def closer(mine):
        def work():
            for ticket in mine:
                ticket_close(ticket=Ticket.objects.get(pk=ticket.pk))

        return work

    def arrivals(part):
        def work():
            for ticket in part:
                ticket_distribute(ticket_id=ticket.pk)
                limits_seen.append(
                    max(Ticket.objects.filter(attendant=p, status="open").count() for p in people)
                )

        return work

    _run([closer(held[:3]), closer(held[3:]), arrivals(queue[:10]), arrivals(queue[10:])])
    assert max(limits_seen) <= 2
    for person in people:
        assert Ticket.objects.filter(attendant=person, status="open").count() == 2
    assert Ticket.objects.filter(status="waiting").count() == 20 - 6
