"""Fan-out: the sending engine against the loopback fake Blip, beside a plain client loop.

    python bench/fanout.py [--recipients 20000] [--workers 1] [--smoke]

Sends every recipient of one bulk campaign through the real engine (chunks claimed in one
statement, sent up to ``SENDING_CONCURRENCY`` at a time, as many as the worker finds fastest,
over the blip gateway's kept-alive connections, recorded in one transaction each: Sent, channel
log, routing, WhatsApp identities) with the rate limit lifted, on forked worker processes
taking the batches ``start_sending`` makes, as Celery workers do; then, in the same run, the
same HTTP client posting the same requests (identity lookup, context command, template message)
in a plain loop on as many processes. The fake server runs in its own process. Prints
messages/second of both and the ratio. SQLite in a temporary file by default; PostgreSQL when
DATABASE_URL is set (a ``<name>_bench`` database is created and dropped).

The metric is the engine's messages/s over the plain loop's; the goal is ≥ 0.8. A message sent
twice, or a recipient left unsent, is a failure at any size.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections import Counter

from _harness import arguments, machine, parse, result

from tests.fakeblip import FakeBlip  # (no Django needed)

CHUNK = 5000
GOAL_RATIO = 0.8


def configure(fake_url: str) -> str:
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="fanout-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="blipportal.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-key"),
        CELERY_BROKER_URL="",
        WHATSAPP_GATEWAY="blip",
        BLIP_API_URL=fake_url,
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.db import connection

    db = connection.settings_dict
    db["CONN_MAX_AGE"] = None  # worker threads keep their connection for the whole run
    db["TEST"]["NAME"] = f"{tmp}/bench.sqlite3" if tmp else f"{db['NAME']}_bench"
    if tmp:
        # WAL with synchronous=NORMAL (the usual production pairing) instead of one fsync per
        # commit; eight processes share the file.
        db["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    return connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def build_campaign(n: int):
    from bots.models import Bot, Contact, FlowBlock
    from campaigns.models import Campaign, MessageTemplate, Recipient

    bot = Bot.objects.create(
        slug="bench",
        name="Bench",
        whatsapp_number="+5511900000000",
        blip_api_key="bench-key",
        blip_flow_id="bench-flow",
        rate_limit_per_second=0,  # lifted: measure the engine, not the limit
        messaging_tier=Bot.MessagingTier.UNLIMITED,  # nor WhatsApp's daily limit (R26)
    )
    block = FlowBlock.objects.create(bot=bot, block_id="welcome", name="Welcome")
    template = MessageTemplate.objects.create(
        bot=bot, name="oferta", category="marketing", status="approved", body="Oi {{1}}!"
    )
    campaign = Campaign.objects.create(
        bot=bot,
        name="Bench",
        kind=Campaign.Kind.BULK,
        template=template,
        routing=Campaign.Routing.FLOW,
        routing_bot=bot,
        flow_block=block,
        status=Campaign.Status.SENDING,
    )
    for start in range(0, n, CHUNK):
        contacts = Contact.objects.bulk_create(
            Contact(bot=bot, phone=f"+55119{i:08d}") for i in range(start, min(n, start + CHUNK))
        )
        Recipient.objects.bulk_create(
            Recipient(campaign=campaign, contact=c, parameters={"body": [f"P{c.phone[-4:]}"]})
            for c in contacts
        )
    return campaign


def serve_fake(conn) -> None:
    """The fake Blip in its own process, so it does not share a GIL with what it measures."""
    with FakeBlip() as fake:
        conn.send(fake.url)
        while (command := conn.recv()) != "stop":
            if command == "ids":
                conn.send(fake.sent_message_ids())
            elif command == "reset":
                fake.reset()
                conn.send("ok")


def run_pool(label: str, work, jobs: list, workers: int, total: int) -> float:
    """Run ``work`` over ``jobs`` on forked worker processes, printing progress every 5 s."""
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's connection
    done, last = 0, time.perf_counter()
    started = last
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for count in pool.imap_unordered(work, jobs):
            done += count
            if time.perf_counter() - last >= 5:
                last = time.perf_counter()
                print(f"  {label}: {done:,}/{total:,} in {last - started:.0f} s", flush=True)
    return time.perf_counter() - started


def engine_job(batch: tuple[int, list[int]]) -> int:
    from campaigns.sending.engine import send_recipients

    campaign_id, ids = batch
    return send_recipients(campaign_id=campaign_id, recipient_ids=ids)


def run_engine(campaign, workers: int) -> float:
    from django.conf import settings

    from campaigns.sending import BATCH_SIZE

    size = getattr(settings, "SENDING_BATCH_SIZE", BATCH_SIZE)  # as start_sending splits it
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    batches = [(campaign.pk, ids[i : i + size]) for i in range(0, len(ids), size)]
    return run_pool("engine", engine_job, batches, workers, len(ids))


_client = None


def baseline_job(job: tuple[str, range]) -> int:
    """The same three requests per recipient as the engine, in a plain loop."""
    from bots.gateway.blip import BlipClient

    global _client
    url, part = job
    if _client is None:
        _client = BlipClient(url, "bench-key")
    components = BlipClient.build_components(None, ["P0000"], [])
    for i in part:
        identity = _client.resolve_identity(f"+55119{i:08d}")
        _client.set_state(identity=identity, flow_id="bench-flow", block_id="welcome")
        _client.send_template(
            message_id=f"base{i}",
            to=identity,
            template_name="oferta",
            language="pt_BR",
            components=components,
        )
    return len(part)


def run_baseline(fake_url: str, n: int, workers: int) -> float:
    jobs = [(fake_url, range(i, min(n, i + 200))) for i in range(0, n, 200)]
    return run_pool("plain loop", baseline_job, jobs, workers, n)


def measure(args, parent, fake_url: str) -> tuple[int, int, float, float]:
    test_db = configure(fake_url)
    from django.db import connection

    try:
        print(f"database: {connection.vendor} ({test_db}); fake Blip at {fake_url}")
        print(f"building a campaign of {args.recipients:,} recipients…", flush=True)
        campaign = build_campaign(args.recipients)
        print(f"engine: {args.workers} worker processes, rate limit lifted", flush=True)
        engine_seconds = run_engine(campaign, args.workers)
        campaign.refresh_from_db()
        parent.send("ids")
        repeats = sum(1 for n in Counter(parent.recv()).values() if n > 1)
        sent = campaign.recipients.filter(status="sent").count()
        print(f"  campaign {campaign.status}: {sent:,} sent, {repeats} sent twice", flush=True)
        from django.db.models import Count

        unsent = (
            campaign.recipients.exclude(status="sent")
            .values_list("status", "failure_code", "failure_reason")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for status, code, reason, n in unsent:  # why a recipient was not sent, when one was not
            print(f"  not sent: {n:,} {status} {code} {reason[:120]}", flush=True)
        parent.send("reset")
        parent.recv()
        print(f"baseline: plain loop of BlipClient on {args.workers} processes", flush=True)
        base_seconds = run_baseline(fake_url, args.recipients, args.workers)
    finally:
        connection.close()
        connection.creation.destroy_test_db(test_db, verbosity=0)
    return sent, repeats, engine_seconds, base_seconds


def main() -> None:
    parser = arguments(__doc__, size_flag="recipients", default=20_000, smoke=2_000)
    # On SQLite one writer is fastest (more only queue on the file lock); use more on PostgreSQL.
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    args = parse(parser)
    args.recipients = args.size
    print(f"machine: {machine()}")
    parent, child = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve_fake, args=(child,))
    server.start()
    try:
        sent, repeats, engine_seconds, base_seconds = measure(args, parent, parent.recv())
    finally:
        parent.send("stop")
        server.join()
    engine_rate, base_rate = sent / engine_seconds, args.recipients / base_seconds
    print()
    print(f"{'':24}{'messages':>10}{'seconds':>10}{'msg/s':>10}")
    print(f"{'engine (claims + log)':24}{sent:>10,}{engine_seconds:>10.1f}{engine_rate:>10.0f}")
    print(f"{'plain HTTP loop':24}{args.recipients:>10,}{base_seconds:>10.1f}{base_rate:>10.0f}")
    print(f"machine after the run: {machine()}")
    if repeats or sent != args.recipients:
        raise SystemExit("the engine sent a message twice or left recipients unsent")
    ratio = engine_rate / base_rate
    result("fanout_vs_plain_loop", ratio, f">={GOAL_RATIO}", ratio >= GOAL_RATIO, smoke=args.smoke)


if __name__ == "__main__":
    main()
