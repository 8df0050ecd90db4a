"""Desk push benchmark: webhook accepted → event on the right attendant's socket, beside polling.

    python bench/desk_push.py [--smoke] [--sockets 50] [--rate 20] [--seconds 30]

Builds its own Desk (one bot per ten attendants, each attendant holding one open ticket), serves
the real ASGI application under daphne in a child process, opens one authenticated WebSocket per
attendant, and posts inbound messages to the real webhook at a steady rate, each on a random
customer's ticket. For every message it records when the webhook was sent and answered and when
the ``ticket.message`` event reached the socket of the attendant holding that ticket (an event on
any other socket counts as misdelivered). Then, in the same run, the baseline: the Desk before
push, with every attendant polling the conversation every 2.5 s, on the same message stream.
Finally one Desk page, idle in headless Chromium for a while, counts its HTTP requests per
minute with the socket up, and with WebSockets unavailable (polling fallback).

SQLite in a temporary file by default; PostgreSQL when DATABASE_URL is set (a ``<name>_bench``
database is created and dropped). The channel layer is Redis when CHANNELS_REDIS_URL (or
REDIS_URL) is set, else in memory; with Redis the webhooks go to one daphne process and the
sockets live in another, as in production. Goal: p95 ≤ 300 ms from the webhook's response to the
event on the socket, no misdelivered or missed event, and 0 idle requests per minute while the
socket is up. The figure from the webhook's request (which adds the inbound pipeline's own time)
is printed beside it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import re
import statistics
import threading
import time

from _harness import arguments, django_setup, machine, parse, result, throwaway_database

GOAL_P95_MS = 300.0
TOKEN = re.compile(r"\bpoll\d+\b")
POLL_EVERY = 2.5  # seconds: the ticket page's interval before push
PASSWORD = "bench-pw"  # noqa: S105  (a throwaway user of a throwaway database)


def configure() -> None:
    redis = os.environ.get("CHANNELS_REDIS_URL") or os.environ.get("REDIS_URL", "")
    django_setup(
        # The test overlay: static files from the finders, fast password hashing, eager Celery.
        DJANGO_SETTINGS_MODULE="blipportal.settings_test",
        CHANNELS_REDIS_URL=redis,
        CELERY_BROKER_URL="",
        WHATSAPP_GATEWAY="outbox",
    )


def build_desk(sockets: int) -> list[dict]:
    """One bot per ten attendants; every attendant holds one open ticket of its own customer."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from bots.models import Bot, BotMembership, Contact
    from desk.models import Attendant, Team, TeamMembership, Ticket, TicketSequence

    users = get_user_model().objects
    seats = []
    for n in range(sockets):
        if n % 10 == 0:
            bot = Bot.objects.create(slug=f"bench-{n // 10}", name=f"Bench {n // 10}")
            team = Team.objects.get_or_create(bot=bot, name="Default")[0]
        user = users.create_user(f"att{n}@example.com", password=PASSWORD)
        BotMembership.objects.create(user=user, bot=bot, role=BotMembership.Role.ATTENDANT)
        attendant = Attendant.objects.create(
            bot=bot, email=user.username, user=user, status="online"
        )
        TeamMembership.objects.create(attendant=attendant, team=team)
        phone = f"+55119{n:08d}"
        contact = Contact.objects.create(bot=bot, phone=phone, last_inbound_at=timezone.now())
        ticket = Ticket.objects.create(
            bot=bot,
            sequence=n + 1,
            contact=contact,
            team=team,
            attendant=attendant,
            status="open",
            opened_at=timezone.now(),
            routed_by="default",
            routing_reason="bench",
        )
        client = Client()
        client.force_login(user)
        seats.append(
            {
                "bot": bot.slug,
                "secret": bot.webhook_secret,
                "attendant": attendant.pk,
                "user": user.username,
                "ticket": ticket.pk,
                "phone": phone,
                "cookie": f"sessionid={client.cookies['sessionid'].value}",
            }
        )
    TicketSequence.objects.bulk_create(
        TicketSequence(bot=b, last=sockets) for b in Bot.objects.all()
    )
    return seats


def serve(conn) -> None:
    """daphne with the project's ASGI application, in this (forked) process."""
    from tests.browser.asgi import ASGITestServer

    server = ASGITestServer()

    def report_port() -> None:
        while not server.server.listening_addresses:
            time.sleep(0.01)
        conn.send(server.server.listening_addresses[0][1])

    threading.Thread(target=report_port, daemon=True).start()
    server.server.run()


# --- measuring -------------------------------------------------------------------------------


def envelope(seat: dict, token: str) -> bytes:
    return json.dumps(
        {
            "id": token,
            "from": f"{seat['phone'][1:]}@wa.gw.msging.net",
            "to": f"{seat['bot']}@msging.net",
            "type": "text/plain",
            "content": f"Mensagem {token}",
        }
    ).encode()


async def post_stream(base: str, seats: list[dict], rate: float, seconds: float, prefix: str):
    """Post ``rate`` messages a second for ``seconds``, each to a random seat; times per token."""
    import httpx

    rng = random.Random(7)
    sent: dict[str, dict] = {}
    count = max(1, int(rate * seconds))
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def one(i: int) -> None:
            seat = rng.choice(seats)
            token = f"{prefix}{i}"
            record = {"seat": seat, "sent": time.perf_counter()}
            sent[token] = record
            response = await client.post(
                f"/webhooks/blip/{seat['bot']}/messages",
                content=envelope(seat, token),
                headers={"Authorization": f"Key {seat['secret']}"},
            )
            record["accepted"] = time.perf_counter()
            record["ok"] = response.status_code == 200

        tasks = []
        for i in range(count):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return sent


def start_server() -> tuple[multiprocessing.Process, str]:
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=serve, args=(child,))
    process.start()
    return process, f"http://127.0.0.1:{parent.recv()}"


async def push_phase(
    base: str, sockets_base: str, seats: list[dict], rate: float, seconds: float
) -> dict:
    """Sockets on ``sockets_base``; webhooks to ``base`` (another process when Redis links them)."""
    import websockets

    received: dict[str, float] = {}
    misdelivered = 0
    origin = sockets_base

    opening = asyncio.Semaphore(10)  # attendants arrive over a moment, not in one instant

    async def listen(seat: dict, ready: asyncio.Event, stop: asyncio.Event) -> None:
        nonlocal misdelivered
        url = (
            f"{sockets_base.replace('http', 'ws', 1)}/ws/desk/{seat['bot']}/attendant/"
            f"{seat['attendant']}/"
        )
        async with opening:
            socket = await websockets.connect(
                url, additional_headers={"Cookie": seat["cookie"]}, origin=origin, open_timeout=30
            )
        async with socket:
            hello = json.loads(await socket.recv())
            assert hello == {"type": "hello"}, hello
            ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=0.2)
                except TimeoutError:
                    continue
                event = json.loads(raw)
                if event.get("type") != "ticket.message":
                    continue
                if event["ticket"] != seat["ticket"]:
                    misdelivered += 1
                received.setdefault(event["preview"].split()[-1], time.perf_counter())

    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in seats]
    listeners = [
        asyncio.create_task(listen(s, r, stop)) for s, r in zip(seats, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=30)
    sent = await post_stream(base, seats, rate, seconds, "push")
    await asyncio.sleep(1.0)  # the last events in flight
    stop.set()
    await asyncio.gather(*listeners)
    return summarise(sent, received, misdelivered)


async def polling_phase(base: str, seats: list[dict], rate: float, seconds: float) -> dict:
    """The Desk before push: each attendant's page fetches the conversation every 2.5 s."""
    import httpx

    seen: dict[str, float] = {}
    stop = asyncio.Event()
    requests = 0

    async def poll(seat: dict, client: httpx.AsyncClient) -> None:
        nonlocal requests
        path = f"/desk/{seat['bot']}/tickets/{seat['ticket']}/messages/"
        await asyncio.sleep(random.random() * POLL_EVERY)  # pages were opened at random moments
        while not stop.is_set():
            response = await client.get(path, headers={"Cookie": seat["cookie"]})
            requests += 1
            now = time.perf_counter()
            for token in TOKEN.findall(response.text):
                seen.setdefault(token, now)
            await asyncio.sleep(POLL_EVERY)

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        pollers = [asyncio.create_task(poll(s, client)) for s in seats]
        sent = await post_stream(base, seats, rate, seconds, "poll")
        await asyncio.sleep(POLL_EVERY + 1.0)
        stop.set()
        await asyncio.gather(*pollers)
    return summarise(sent, seen, 0)


def summarise(sent: dict, received: dict, misdelivered: int) -> dict:
    from_sent = [(received[t] - r["sent"]) * 1000 for t, r in sent.items() if t in received]
    # The event leaves at commit, before the webhook's response is written: an event that
    # arrived before the response counts as 0 ms after it.
    from_accepted = [
        max(0.0, received[t] - r["accepted"]) * 1000 for t, r in sent.items() if t in received
    ]
    return {
        "messages": len(sent),
        "refused": sum(1 for r in sent.values() if not r.get("ok")),
        "missed": sum(1 for t in sent if t not in received),
        "misdelivered": misdelivered,
        "sent_p50": percentile(from_sent, 50),
        "sent_p95": percentile(from_sent, 95),
        "accepted_p50": percentile(from_accepted, 50),
        "accepted_p95": percentile(from_accepted, 95),
    }


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def idle_requests_per_minute(base: str, seat: dict, seconds: float, *, sockets: bool) -> float:
    """Requests one Desk page makes while idle, in headless Chromium (None without Chromium)."""
    from tests.services import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        return float("nan")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        if not sockets:
            page.add_init_script("delete window.WebSocket")
        page.goto(f"{base}/login/")
        page.fill("#id_username", seat["user"])
        page.fill("#id_password", PASSWORD)
        page.click("[type=submit]")
        page.goto(f"{base}/desk/{seat['bot']}/tickets/{seat['ticket']}/")
        mode = "socket" if sockets else "polling"
        page.locator(f"html[data-desk-live={mode}]").wait_for(timeout=15_000)
        page.wait_for_load_state("networkidle")
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.wait_for_timeout(seconds * 1000)
        browser.close()
    return len(requests) * 60 / seconds


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = arguments(__doc__, size_flag="sockets", default=50, smoke=50)
    parser.add_argument("--rate", type=float, default=20.0, help="inbound messages per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds the idle page is watched")
    args = parse(parser)
    if args.smoke:
        args.seconds, args.idle = min(args.seconds, 5.0), min(args.idle, 10.0)
    configure()
    from django.conf import settings
    from django.db import connection

    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"database: {connection.vendor}; channel layer: {layer}; {machine()}")
    with throwaway_database("desk_push"):
        print(f"building {args.size} attendants with an open ticket each…", flush=True)
        seats = build_desk(args.size)
        connection.close()  # the forked servers open their own
        push, idle_push = measure(args, seats, layer)
    if push["misdelivered"] or push["missed"] or push["refused"]:
        raise SystemExit("an event went to the wrong socket, or never arrived")
    result(
        "desk_push_p95_ms",
        push["accepted_p95"],
        f"{GOAL_P95_MS:g}",
        push["accepted_p95"] <= GOAL_P95_MS and idle_push == 0,
        smoke=args.smoke,
    )


def measure(args, seats: list[dict], layer: str) -> tuple[dict, float]:
    servers = [start_server() for _ in range(2 if layer == "RedisChannelLayer" else 1)]
    try:
        base, sockets_base = servers[0][1], servers[-1][1]
        print(
            f"webhooks to daphne at {base}, sockets on {sockets_base}; "
            f"{args.rate:g} messages/s for {args.seconds:g} s per phase"
        )
        push = asyncio.run(push_phase(base, sockets_base, seats, args.rate, args.seconds))
        report("push (socket)", push)
        poll = asyncio.run(polling_phase(base, seats, args.rate, args.seconds))
        report(f"polling every {POLL_EVERY:g} s", poll)
        idle_push = idle_requests_per_minute(base, seats[0], args.idle, sockets=True)
        idle_poll = idle_requests_per_minute(base, seats[0], args.idle, sockets=False)
        print(
            f"idle Desk page, HTTP requests per minute: socket up {idle_push:.1f}, "
            f"polling fallback {idle_poll:.1f} (watched {args.idle:g} s each)"
        )
    finally:
        for process, _url in servers:
            process.terminate()
            process.join()
    return push, idle_push


def report(label: str, figures: dict) -> None:
    print(
        f"{label:24} {figures['messages']:>5} messages, {figures['missed']} missed, "
        f"{figures['misdelivered']} misdelivered, {figures['refused']} refused | "
        f"from webhook sent p50 {figures['sent_p50']:.1f} ms p95 {figures['sent_p95']:.1f} ms | "
        f"from webhook accepted p50 {figures['accepted_p50']:.1f} ms "
        f"p95 {figures['accepted_p95']:.1f} ms",
        flush=True,
    )


if __name__ == "__main__":
    main()
