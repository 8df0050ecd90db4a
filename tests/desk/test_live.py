"""The Desk's sockets: who may listen, and which events each one hears.

The sockets go through ``blipportal.asgi.application`` (session auth, origin check) with the
in-memory channel layer; ``test_live_redis.py`` repeats the isolation check over Redis.
"""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bots.models import BotMembership
from bots.services import contact_move_to_block
from desk import services
from desk.inbound import inbound_receive
from desk.live.consumers import FORBIDDEN
from desk.models import DeskSettings, Ticket
from desk.presence import attendants_offline_when_gone
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    ContactFactory,
    FlowBlockFactory,
    UserFactory,
)
from tests.desk.factories import (
    AttendantFactory,
    DeskSettingsFactory,
    TeamFactory,
    TicketFactory,
)
from tests.desk.sockets import (
    attendant_path,
    desk_socket,
    events_until_quiet,
    run_async,
    session_cookie,
    supervisor_path,
)

pytestmark = pytest.mark.django_db(transaction=True)


def make_desk(name: str):
    """A bot with a team, two attendants with logins (Ana, Bruno) and an admin (supervisor)."""
    bot = BotFactory(slug=f"loja-{name}")
    # These scenarios pull customers with Attend a new customer: the Desk's manual mode (R21).
    DeskSettingsFactory(bot=bot, manual=True)
    team = TeamFactory(bot=bot, name="Default")  # where a reply no rule claims waits
    FlowBlockFactory(bot=bot, human=True)
    people = {}
    for who in ("ana", "bruno"):
        user = UserFactory(username=f"{who}-{name}@example.com")
        BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.ATTENDANT)
        people[who] = AttendantFactory(bot=bot, user=user, teams=[team], email=user.username)
    boss = UserFactory(username=f"boss-{name}")
    BotMembershipFactory(user=boss, bot=bot, role=BotMembership.Role.ADMIN)
    return type("Desk", (), {"bot": bot, "team": team, "boss": boss, **people})


def customer_writes(desk, text: str, phone: str = "+5511987654321"):
    """A contact in the bot's human block writes: a waiting ticket (or a message on it)."""
    contact = ContactFactory(bot=desk.bot, phone=phone)
    contact_move_to_block(contact=contact, bot=desk.bot, block=desk.bot.blocks.get())
    return inbound_receive(bot=desk.bot, phone=phone, text=text)


def types(events) -> list[str]:
    return [e["type"] for e in events]


def test_attendant_socket_hears_assignment_messages_and_close():
    desk = make_desk("a")
    cookie = session_cookie(desk.ana.user)

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            assert await ana.receive_json_from() == {"type": "hello"}
            result = await sync_to_async(customer_writes)(desk, "Quero comprar")
            queued = await events_until_quiet(ana)
            assert queued == [
                {"type": "queue.changed", "directed": False, "team": desk.team.pk, "waiting": 1}
            ]
            ticket = await sync_to_async(services.ticket_attend_next)(attendant=desk.ana)
            assert ticket.pk == result.ticket_id
            assigned, queue = await events_until_quiet(ana)
            assert assigned["type"] == "ticket.assigned" and assigned["ticket"] == ticket.pk
            assert assigned["phone"] == "+55 11 98765-4321"
            assert queue["waiting"] == 0
            await sync_to_async(inbound_receive)(
                bot=desk.bot, phone="+5511987654321", text="Tem  desconto?"
            )
            (message,) = await events_until_quiet(ana)
            assert message["type"] == "ticket.message"
            assert (message["direction"], message["preview"]) == ("in", "Tem desconto?")
            await sync_to_async(services.ticket_close)(ticket=ticket)
            (closed,) = await events_until_quiet(ana)
            assert (closed["type"], closed["status"]) == ("ticket.closed", "closed_attendant")

    run_async(scenario)


def test_a_socket_of_bot_b_never_receives_bot_a_events():
    isolation_scenario()


def isolation_scenario():
    """Bot A does everything a Desk does while bot B's sockets listen (also run over Redis)."""
    a, b = make_desk("a"), make_desk("b")
    cookies = {who: session_cookie(who.user) for who in (a.ana, b.ana, b.bruno)}
    boards = {desk: session_cookie(desk.boss) for desk in (a, b)}

    async def scenario():
        async with (
            desk_socket(attendant_path(a.ana), cookies[a.ana]) as a_ana,
            desk_socket(supervisor_path(a.bot), boards[a]) as a_board,
            desk_socket(attendant_path(b.ana), cookies[b.ana]) as b_ana,
            desk_socket(attendant_path(b.bruno), cookies[b.bruno]) as b_bruno,
            desk_socket(supervisor_path(b.bot), boards[b]) as b_board,
        ):
            for socket in (a_ana, a_board, b_ana, b_bruno, b_board):
                assert await socket.receive_json_from() == {"type": "hello"}
            await sync_to_async(_everything_happens_on)(a)
            # Bot A's own sockets heard it all, so there was something to leak …
            assert {
                "queue.changed",
                "ticket.assigned",
                "ticket.message",
                "attendant.status",
                "ticket.closed",
            } <= set(types(await events_until_quiet(a_ana)))
            assert set(types(await events_until_quiet(a_board))) == {"board.changed"}
            # … and not one event reached bot B's attendants or supervisor.
            for socket in (b_ana, b_bruno, b_board):
                assert await events_until_quiet(socket, quiet=0.3) == []

    run_async(scenario)


def _everything_happens_on(desk) -> None:
    """Every kind of event a Desk can produce, all on ``desk``."""
    result = customer_writes(desk, "Oi")
    ticket = services.ticket_attend_next(attendant=desk.ana)
    inbound_receive(bot=desk.bot, phone="+5511987654321", text="Olá de novo")
    services.ticket_reply(ticket=ticket, attendant=desk.ana, text="Bom dia!")
    services.attendant_change_status(attendant=desk.ana, status="pause")
    new = services.ticket_transfer(ticket=ticket, attendant=desk.bruno)
    assert new.contact_id == ticket.contact_id and result.ticket_id == ticket.pk
    services.attendant_change_status(attendant=desk.bruno, status="online")
    services.ticket_close(ticket=services.ticket_attend_next(attendant=desk.bruno))


def test_an_attendant_only_hears_about_her_own_tickets():
    desk = make_desk("a")
    cookie = session_cookie(desk.bruno.user)
    desk_ana_ticket = TicketFactory(bot=desk.bot, team=desk.team, requested_attendant=desk.ana)

    async def scenario():
        async with desk_socket(attendant_path(desk.bruno), cookie) as bruno:
            await bruno.receive_json_from()
            await sync_to_async(_ana_works)(desk)
            heard = await events_until_quiet(bruno)
            # Bruno shares Ana's team: he may hear its queue count, nothing about her tickets.
            assert set(types(heard)) <= {"queue.changed"}
            assert all(not e["directed"] for e in heard)
            assert all("ticket" not in e and "contact" not in e for e in heard)

    def _ana_works(desk):
        ticket = services.ticket_attend_next(attendant=desk.ana)
        assert ticket.pk == desk_ana_ticket.pk
        services.attendant_change_status(attendant=desk.ana, status="pause")
        services.ticket_close(ticket=ticket)

    run_async(scenario)


def test_a_directed_ticket_is_announced_only_to_its_attendant():
    desk = make_desk("a")
    cookies = {who: session_cookie(who.user) for who in (desk.ana, desk.bruno)}

    def directed_ticket():
        TicketFactory(bot=desk.bot, team=desk.team, requested_attendant=desk.ana)
        # A transfer to Ana is the service path that creates a directed waiting ticket.
        ticket = TicketFactory(bot=desk.bot, team=desk.team, open=True, attendant=desk.bruno)
        services.ticket_transfer(ticket=ticket, attendant=desk.ana)

    async def scenario():
        async with (
            desk_socket(attendant_path(desk.ana), cookies[desk.ana]) as ana,
            desk_socket(attendant_path(desk.bruno), cookies[desk.bruno]) as bruno,
        ):
            await ana.receive_json_from()
            await bruno.receive_json_from()
            await sync_to_async(directed_ticket)()
            assert await events_until_quiet(ana) == [
                {"type": "queue.changed", "directed": True, "waiting": 2}
            ]
            assert types(await events_until_quiet(bruno)) == ["ticket.closed"]

    run_async(scenario)


def test_R21_an_automatic_assignment_is_announced_once_to_its_attendant():
    desk = make_desk("a")
    DeskSettings.objects.filter(bot=desk.bot).update(distribution="automatic")
    services.attendant_change_status(attendant=desk.bruno, status="offline")
    cookie = session_cookie(desk.ana.user)

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            await ana.receive_json_from()
            result = await sync_to_async(customer_writes)(desk, "Quero comprar")
            ticket = await Ticket.objects.select_related("attendant").aget(pk=result.ticket_id)
            assert ticket.attendant == desk.ana
            heard = await events_until_quiet(ana)
            assert types(heard) == ["ticket.assigned", "queue.changed"]
            assert heard[0]["ticket"] == result.ticket_id

    run_async(scenario)


def test_status_changed_elsewhere_reaches_every_tab_and_the_board():
    desk = make_desk("a")
    cookie, boss = session_cookie(desk.ana.user), session_cookie(desk.boss)

    async def scenario():
        async with (
            desk_socket(attendant_path(desk.ana), cookie) as tab1,
            desk_socket(attendant_path(desk.ana), cookie) as tab2,
            desk_socket(supervisor_path(desk.bot), boss) as board,
        ):
            for socket in (tab1, tab2, board):
                await socket.receive_json_from()
            await sync_to_async(services.attendant_change_status)(
                attendant=desk.ana, status="pause"
            )
            expected = {"type": "attendant.status", "attendant": desk.ana.pk, "status": "pause"}
            assert await events_until_quiet(tab1) == [expected]
            assert await events_until_quiet(tab2) == [expected]
            assert await events_until_quiet(board) == [{"type": "board.changed"}]

    run_async(scenario)


def test_events_leave_only_after_commit():
    desk = make_desk("a")
    cookie = session_cookie(desk.ana.user)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.attendant_change_status(attendant=desk.ana, status="pause")
            raise RuntimeError

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            await ana.receive_json_from()
            await sync_to_async(rolled_back)()
            assert await events_until_quiet(ana) == []

    run_async(scenario)


@pytest.mark.parametrize(
    "case",
    ["anonymous", "other_bot", "someone_elses_profile", "attendant_on_board", "unknown_bot"],
)
def test_sockets_refuse_who_the_pages_refuse(case):
    a, b = make_desk("a"), make_desk("b")
    path, user = {
        "anonymous": (attendant_path(a.ana), None),
        "other_bot": (attendant_path(a.ana), b.ana.user),
        "someone_elses_profile": (attendant_path(a.ana), a.bruno.user),
        "attendant_on_board": (supervisor_path(a.bot), a.ana.user),
        "unknown_bot": ("/ws/desk/nao-existe/supervisor/", a.boss),
    }[case]
    cookie = session_cookie(user) if user else None

    async def scenario():
        async with desk_socket(path, cookie) as socket:
            assert await socket.receive_output(timeout=3) == {
                "type": "websocket.close",
                "code": FORBIDDEN,
            }

    run_async(scenario)


def test_logging_out_closes_the_sockets_of_that_login():
    desk = make_desk("a")
    client = Client()
    client.force_login(desk.ana.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            await ana.receive_json_from()
            await sync_to_async(client.post)("/logout/")
            assert await ana.receive_json_from() == {"type": "session.ended"}
            assert (await ana.receive_output(timeout=3))["code"] == FORBIDDEN

    run_async(scenario)


def test_a_ping_gets_a_pong():
    desk = make_desk("a")
    cookie = session_cookie(desk.ana.user)

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            await ana.receive_json_from()
            await ana.send_json_to({"type": "ping"})
            assert await ana.receive_json_from() == {"type": "pong"}

    run_async(scenario)


def _away_since(attendant, minutes: int) -> None:
    """Paused, with the Desk's last heartbeat ``minutes`` ago; the bot allows 15."""
    DeskSettings.objects.filter(bot=attendant.bot).update(offline_after_minutes=15)
    type(attendant).objects.filter(pk=attendant.pk).update(
        status="pause", last_seen_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


def test_R21_a_socket_kept_open_is_a_heartbeat_so_its_attendant_stays_in_her_status():
    desk = make_desk("a")
    bruno_cookie = session_cookie(desk.bruno.user)
    _away_since(desk.ana, 30)  # her Desk is really gone: the control
    _away_since(desk.bruno, 30)  # his page's HTTP beat stopped: only the socket keeps him

    async def scenario():
        async with desk_socket(attendant_path(desk.bruno), bruno_cookie) as bruno:
            assert await bruno.receive_json_from() == {"type": "hello"}
            await bruno.send_json_to({"type": "ping"})
            assert await bruno.receive_json_from() == {"type": "pong"}
            assert await sync_to_async(attendants_offline_when_gone)() == [desk.ana.pk]

    run_async(scenario)
    desk.bruno.refresh_from_db()
    assert desk.bruno.status == "pause"
    assert timezone.now() - desk.bruno.last_seen_at < dt.timedelta(minutes=1)


def test_pings_beat_at_most_every_few_seconds_whatever_the_client_sends():
    desk = make_desk("a")
    cookie = session_cookie(desk.ana.user)

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            await ana.receive_json_from()  # connecting was the beat
            await sync_to_async(_away_since)(desk.ana, 30)
            for _ in range(3):
                await ana.send_json_to({"type": "ping"})
                assert await ana.receive_json_from() == {"type": "pong"}

    run_async(scenario)
    desk.ana.refresh_from_db()
    assert timezone.now() - desk.ana.last_seen_at > dt.timedelta(minutes=29)


def test_a_delivery_status_reaches_the_open_conversation_of_its_customer_once():
    from bots.gateway.events import delivery_event_apply
    from tests.bots.factories import MessageFactory

    desk = make_desk("a")
    ticket = TicketFactory(bot=desk.bot, open=True, attendant=desk.ana, team=desk.team)
    MessageFactory(contact=ticket.contact, outbound=True, gateway_message_id="gw-1")
    ana_cookie = session_cookie(desk.ana.user)
    bruno_cookie = session_cookie(desk.bruno.user)

    async def scenario():
        async with (
            desk_socket(attendant_path(desk.ana), ana_cookie) as ana,
            desk_socket(attendant_path(desk.bruno), bruno_cookie) as bruno,
        ):
            await ana.receive_json_from()
            await bruno.receive_json_from()
            apply = sync_to_async(delivery_event_apply)
            await apply(bot=desk.bot, message_id="gw-1", event="received")
            assert await events_until_quiet(ana) == [
                {"type": "message.status", "ticket": ticket.pk, "status": "delivered"}
            ]
            await apply(bot=desk.bot, message_id="gw-1", event="received")  # a repeat moves nothing
            await apply(bot=desk.bot, message_id="gw-other", event="consumed")  # not a Desk chat
            assert await events_until_quiet(ana) == []
            await apply(bot=desk.bot, message_id="gw-1", event="consumed")
            (read,) = await events_until_quiet(ana)
            assert read["status"] == "read"
            assert await events_until_quiet(bruno) == []

    run_async(scenario)


def test_R21_a_timer_in_a_thread_of_its_own_reaches_the_socket_at_once():
    """`make run` runs the Desk timers in a thread beside the sockets (in-memory layer).

    The socket's loop sleeps until something wakes it: an event put into its queue from another
    thread without waking it would wait for the receive's timeout, and fail the time limit.
    """
    import threading
    import time

    desk = make_desk("a")
    cookie = session_cookie(desk.ana.user)

    async def scenario():
        async with desk_socket(attendant_path(desk.ana), cookie) as ana:
            await ana.receive_json_from()
            await sync_to_async(_away_since)(desk.ana, 30)
            started = time.monotonic()
            threading.Thread(target=attendants_offline_when_gone, name="periodic-jobs").start()
            event = await ana.receive_json_from(timeout=3)
            assert (event["type"], event["status"]) == ("attendant.status", "offline")
            assert time.monotonic() - started < 1.5

    run_async(scenario)
