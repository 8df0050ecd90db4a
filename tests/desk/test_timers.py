"""The Desk timers with a frozen clock: hand-over (R22), inactivity (R24), flags, auto-Offline."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import TestCase

from bots.models import Message
from bots.services import contact_move_to_block
from desk.inactivity import ticket_set_hold
from desk.inbound import inbound_receive
from desk.models import Attendant, AttendantStatusChange, Ticket
from desk.presence import attendant_change_status, attendant_heartbeat
from desk.reasons import render_reason
from desk.services import directive_create, ticket_reply
from desk.timers import desk_timers_tick
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.desk.factories import (
    AttendantFactory,
    ClosingTagFactory,
    DeskSettingsFactory,
    TeamFactory,
    TicketFactory,
)

T0 = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
PHONE = "+5511987654321"
pytestmark = pytest.mark.django_db


def at(minutes, seconds=0):
    return time_machine.travel(T0 + dt.timedelta(minutes=minutes, seconds=seconds), tick=False)


def tick(minutes, seconds=0) -> dict:
    with at(minutes, seconds):
        return desk_timers_tick()


@pytest.fixture
def desk():
    bot = BotFactory(desk_enabled=True)
    tag = ClosingTagFactory(bot=bot, name="Inatividade do cliente")
    settings = DeskSettingsFactory(
        bot=bot,
        inactivity_warning_minutes=10,
        inactivity_close_minutes=5,
        inactivity_close_tag=tag,
        unanswered_flag_minutes=3,
        inactivity_warning_text="Você ainda está aí?",
    )
    vendas = TeamFactory(bot=bot, name="Vendas")
    ana = AttendantFactory(bot=bot, email="ana@example.com", teams=[vendas], slots=1)
    human = FlowBlockFactory(bot=bot, human=True)
    rule_team = bot.teams.get(name="Default")
    ana.teams.add(rule_team)
    return type(
        "Desk",
        (),
        {
            "bot": bot,
            "tag": tag,
            "settings": settings,
            "ana": ana,
            "vendas": vendas,
            "human": human,
        },
    )


def customer_writes(desk, text="Oi", phone=PHONE):
    contact = (
        ContactFactory(bot=desk.bot, phone=phone)
        if not desk.bot.contacts.filter(phone=phone).exists()
        else desk.bot.contacts.get(phone=phone)
    )
    contact_move_to_block(contact=contact, bot=desk.bot, block=desk.human)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the message's effects (R21)
        return inbound_receive(bot=desk.bot, phone=phone, text=text)


def ticket_of(result) -> Ticket:
    return Ticket.objects.select_related("attendant").get(pk=result.ticket_id)


def warnings() -> int:
    return Message.objects.filter(payload__desk="inactivity_warning").count()


def test_R24_a_silent_customer_is_warned_then_closed_as_client_inactivity_with_its_tag(desk):
    with at(0):
        ticket = ticket_of(customer_writes(desk))
        assert ticket.attendant == desk.ana
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Olá! Posso ajudar?")
        queued = ticket_of(customer_writes(desk, phone="+5511900000002"))
        assert queued.status == "waiting"  # Ana's only slot is taken
    assert tick(9, 59)["warned"] == []
    assert tick(10)["warned"] == [ticket.pk]
    assert warnings() == 1
    warning = Message.objects.get(payload__desk="inactivity_warning")
    assert (warning.text, warning.status, warning.ticket_link.ticket) == (
        "Você ainda está aí?",
        "sent",
        ticket,
    )
    assert tick(11)["warned"] == [] and warnings() == 1  # idempotent: warned once
    assert tick(14, 59)["closed"] == []
    assert tick(15)["closed"] == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.status == "closed_client"
    assert ticket.closed_at == T0 + dt.timedelta(minutes=15)
    assert list(ticket.tags.all()) == [desk.tag]
    # The freed slot took the next customer at once (R21).
    queued.refresh_from_db()
    assert (queued.status, queued.attendant) == ("open", desk.ana)
    assert tick(30)["closed"] == []


def test_R24_the_customer_answering_stops_the_clock(desk):
    with at(0):
        ticket = ticket_of(customer_writes(desk))
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Olá!")
    tick(10)
    with at(12):
        customer_writes(desk, "Estou aqui, desculpe")
    assert tick(20)["closed"] == [] and tick(40)["warned"] == []
    ticket.refresh_from_db()
    assert (ticket.status, ticket.inactivity_warned_at, ticket.customer_silent_since) == (
        "open",
        None,
        None,
    )


def test_R24_a_ticket_on_hold_is_exempt_and_its_clock_restarts_off_hold(desk):
    with at(0):
        ticket = ticket_of(customer_writes(desk))
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Vou verificar e já volto")
        ticket = ticket_set_hold(ticket=ticket, on_hold=True)
    result = tick(60)
    assert (result["warned"], result["closed"]) == ([], [])
    with at(60):
        ticket_set_hold(ticket=ticket, on_hold=False)
    assert tick(69)["warned"] == []
    assert tick(70)["warned"] == [ticket.pk]
    assert tick(75)["closed"] == [ticket.pk]


def test_R24_a_bot_without_inactivity_settings_never_times_out(desk):
    desk.settings.inactivity_close_minutes = None
    desk.settings.inactivity_warning_minutes = None
    desk.settings.save()
    with at(0):
        ticket = ticket_of(customer_writes(desk))
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Olá!")
    assert tick(600)["warned"] == [] and tick(600)["closed"] == []


def test_R24_warned_but_not_closed_when_no_close_time_is_set(desk):
    desk.settings.inactivity_close_minutes = None
    desk.settings.save()
    with at(0):
        ticket = ticket_of(customer_writes(desk))
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Olá!")
    assert tick(10)["warned"] == [ticket.pk]
    assert tick(600)["closed"] == []


def test_R24_outside_the_24h_window_the_clock_runs_without_a_message(desk):
    with at(0):
        ticket = ticket_of(customer_writes(desk))
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Olá!")
    Ticket.objects.filter(pk=ticket.pk).update(customer_silent_since=T0 + dt.timedelta(hours=30))
    assert tick(60 * 30 + 10)["warned"] == [ticket.pk]
    assert warnings() == 0
    assert tick(60 * 30 + 15)["closed"] == [ticket.pk]


def test_an_attendant_leaving_a_customer_unanswered_is_flagged(desk):
    with at(0):
        ticket = ticket_of(customer_writes(desk))
    assert tick(2, 59)["flagged"] == 0
    assert tick(3)["flagged"] == 1
    assert tick(4)["flagged"] == 0  # once
    ticket.refresh_from_db()
    assert ticket.unanswered_flagged_at == T0 + dt.timedelta(minutes=3)
    with at(5):
        ticket_reply(ticket=ticket, attendant=desk.ana, text="Desculpe a demora!")
    ticket.refresh_from_db()
    assert (ticket.unanswered_flagged_at, ticket.awaiting_reply_since) == (None, None)


# --- R22: the hand-over of a directed reply ---------------------------------------------------


@pytest.fixture
def bruno_away(desk):
    """A campaign directed the reply to Bruno (Offline), handing over to his team after 10 min."""
    Attendant.objects.filter(pk=desk.ana.pk).update(status="offline")
    bruno = AttendantFactory(
        bot=desk.bot, email="bruno@example.com", offline=True, teams=[desk.vendas]
    )
    carla = AttendantFactory(bot=desk.bot, email="carla@example.com", teams=[desk.vendas])
    with at(0):
        contact = ContactFactory(bot=desk.bot, phone=PHONE)
        directive = directive_create(
            contact=contact,
            bot=desk.bot,
            sent_at=T0,
            source_label="Reativação",
            attendant=bruno,
        )
        directive.fallback_minutes = 10
        directive.save()
        result = customer_writes(desk, "Recebi a mensagem")
    return type("Away", (), {"bruno": bruno, "carla": carla, "ticket": ticket_of(result)})


def test_R22_a_directed_ticket_waits_then_goes_to_the_attendants_team(desk, bruno_away):
    ticket = bruno_away.ticket
    assert (ticket.status, ticket.requested_attendant) == ("waiting", bruno_away.bruno)
    assert ticket.fallback_at == T0 + dt.timedelta(minutes=10)
    assert tick(9, 59)["handed_over"] == []
    assert tick(10)["handed_over"] == [ticket.pk]
    ticket.refresh_from_db()
    assert (ticket.requested_attendant, ticket.meant_for, ticket.team) == (
        None,
        bruno_away.bruno,
        desk.vendas,
    )
    assert (ticket.routed_by, ticket.routing_code) == ("fallback", "R22_fallback")
    assert ticket.routing_params["attendant"] == "bruno@example.com"
    assert ticket.routing_params["minutes"] == 10
    reason = render_reason(ticket.routing_code, ticket.routing_params)
    assert "bruno@example.com" in reason and "10" in reason and "Reativação" in reason
    # Carla, Online in Vendas, receives it at once (R21).
    assert (ticket.status, ticket.attendant) == ("open", bruno_away.carla)
    assert tick(11)["handed_over"] == []


def test_R22_the_attendant_taking_it_in_time_cancels_the_hand_over(desk, bruno_away):
    with at(5):
        attendant_change_status(attendant=bruno_away.bruno, status="online")
    ticket = bruno_away.ticket
    ticket.refresh_from_db()
    assert (ticket.attendant, ticket.fallback_at) == (bruno_away.bruno, None)
    assert tick(10)["handed_over"] == []


def test_R22_wait_is_the_default_and_never_hands_over(desk):
    bruno = AttendantFactory(bot=desk.bot, offline=True, teams=[desk.vendas])
    with at(0):
        contact = ContactFactory(bot=desk.bot, phone=PHONE)
        directive_create(
            contact=contact, bot=desk.bot, sent_at=T0, source_label="C", attendant=bruno
        )
        ticket = ticket_of(customer_writes(desk))
    assert ticket.fallback_at is None
    assert tick(24 * 60)["handed_over"] == []
    ticket.refresh_from_db()
    assert (ticket.status, ticket.requested_attendant) == ("waiting", bruno)


# --- auto-Offline after the Desk page went away -----------------------------------------------


def test_a_desk_gone_longer_than_the_bot_allows_goes_offline(desk):
    with at(0):
        attendant_change_status(attendant=desk.ana, status="pause")
    with at(5):
        attendant_heartbeat(attendant=desk.ana)
    assert tick(14, 59)["offline"] == []
    assert tick(15)["offline"] == [desk.ana.pk]
    desk.ana.refresh_from_db()
    assert (desk.ana.status, desk.ana.pause_reason) == ("offline", None)
    last = AttendantStatusChange.objects.filter(attendant=desk.ana).first()
    assert (last.old_status, last.status, last.source) == ("pause", "offline", "heartbeat")
    assert tick(30)["offline"] == []


def test_an_attendant_never_seen_on_the_desk_is_not_set_offline(desk):
    assert desk.ana.last_seen_at is None
    assert tick(24 * 60)["offline"] == []
    assert Attendant.objects.get(pk=desk.ana.pk).status == "online"


def test_the_timers_run_from_run_periodic():
    out = StringIO()
    call_command("run_periodic", "--once", "--only", "desk-timers", stdout=out)
    assert "Ran once: desk-timers" in out.getvalue()


def test_ticket_factory_traits_set_the_clocks():
    assert TicketFactory(customer_silent=True).customer_silent_since is not None
    assert TicketFactory(awaiting_reply=True).awaiting_reply_since is not None
