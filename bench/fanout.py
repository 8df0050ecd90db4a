"""Fan-out: the sending engine against the loopback fake Blip, beside a plain client loop.

    python bench/fanout.py [--recipients 20000] [--workers 1] [--rounds 4] [--smoke]

Sends every recipient of one bulk campaign through the real engine (chunks claimed in one
statement, sent up to ``SENDING_CONCURRENCY`` at a time, as many as the worker finds fastest —
on a full machine one, on the worker's own thread — over the blip gateway's kept-alive
connections, recorded in one transaction each: Sent, channel
log, routing, WhatsApp identities) with the rate limit lifted, on forked worker processes
taking the batches ``start_sending`` makes, as Celery workers do (each settled as a Celery
worker process is: ``blipportal.ops.memory``); and the same HTTP client posting the same
requests (identity lookup, context command, template message) for as many recipients in a plain
loop on as many processes, settled alike. The two take turns, a round each (a quarter of the
recipients by default), so that a shared machine's drifting speed falls on both alike. The fake
server runs in its own process. Prints messages/second of both and the ratio. SQLite in a
temporary file by default; PostgreSQL when DATABASE_URL is set (a ``<name>_bench`` database is
created and dropped).

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


def settle() -> None:
    """A worker process starting, as Celery's ``worker_process_init`` settles it."""
    from blipportal.ops.memory import process_settle

    process_settle()


class Pool:
    """Forked worker processes kept for the whole run (a Celery worker's live as long), so a
    round starts with warm connections and what each worker learnt in the rounds before."""

    def __init__(self, label: str, work, workers: int) -> None:
        from django.db import connections

        connections.close_all()  # a forked child must not share the parent's connection
        self.label, self.work = label, work
        self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=settle)
        self.seconds = 0.0

    def run(self, jobs: list, total: int) -> int:
        """Run ``work`` over ``jobs``, printing progress every 5 s; how many it did."""
        done, last = 0, time.perf_counter()
        started = last
        for count in self.pool.imap_unordered(self.work, jobs):
            done += count
            if time.perf_counter() - last >= 5:
                last = time.perf_counter()
                print(f"  {self.label}: {done:,}/{total:,} in {last - started:.0f} s", flush=True)
        self.seconds += time.perf_counter() - started
        return done

    def close(self) -> None:
        self.pool.close()
        self.pool.join()


def engine_job(batch: tuple[int, list[int]]) -> int:
    from campaigns.sending.engine import send_recipients

    campaign_id, ids = batch
    return send_recipients(campaign_id=campaign_id, recipient_ids=ids)


def engine_batches(campaign) -> list[tuple[int, list[int]]]:
    """The campaign's recipients in batches, as ``start_sending`` splits them."""
    from django.conf import settings

    from campaigns.sending import BATCH_SIZE

    size = getattr(settings, "SENDING_BATCH_SIZE", BATCH_SIZE)
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    return [(campaign.pk, ids[i : i + size]) for i in range(0, len(ids), size)]


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


def baseline_jobs(fake_url: str, n: int) -> list[tuple[str, range]]:
    return [(fake_url, range(i, min(n, i + 200))) for i in range(0, n, 200)]


def rounds_of(jobs: list, rounds: int) -> list[list]:
    """``jobs`` cut into ``rounds`` consecutive parts of nearly equal size."""
    return [jobs[i * len(jobs) // rounds : (i + 1) * len(jobs) // rounds] for i in range(rounds)]


def run_alternating(engine: Pool, loop: Pool, campaign, fake_url: str, n: int, rounds: int):
    """The engine and the plain loop take turns, a round each, so that both meet the same
    machine: a shared machine's speed drifts by tens of percent over minutes, and two runs one
    after the other would compare the engine at one speed with the loop at another."""
    batches = engine_batches(campaign)
    rounds = max(1, min(rounds, len(batches)))
    engine_rounds = rounds_of(batches, rounds)
    loop_rounds = rounds_of(baseline_jobs(fake_url, n), rounds)
    for number, (mine, theirs) in enumerate(zip(engine_rounds, loop_rounds, strict=True), 1):
        sent = engine.run(mine, n)
        looped = loop.run(theirs, n)
        print(
            f"round {number}/{len(engine_rounds)}: engine {sent:,} in {engine.seconds:.1f} s "
            f"so far, plain loop {looped:,} in {loop.seconds:.1f} s so far",
            flush=True,
        )


def measure(args, parent, fake_url: str) -> tuple[int, int, float, float]:
    test_db = configure(fake_url)
    from django.db import connection

    engine = loop = None
    try:
        print(f"database: {connection.vendor} ({test_db}); fake Blip at {fake_url}")
        print(f"building a campaign of {args.recipients:,} recipients…", flush=True)
        campaign = build_campaign(args.recipients)
        print(
            f"engine and plain loop of BlipClient, {args.workers} worker processes each, "
            f"taking turns in {args.rounds} rounds; rate limit lifted",
            flush=True,
        )
        engine = Pool("engine", engine_job, args.workers)
        loop = Pool("plain loop", baseline_job, args.workers)
        run_alternating(engine, loop, campaign, fake_url, args.recipients, args.rounds)
        campaign.refresh_from_db()
        parent.send("ids")
        ours = [i for i in parent.recv() if not i.startswith("base")]
        repeats = sum(1 for n in Counter(ours).values() if n > 1)
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
    finally:
        for pool in (engine, loop):
            if pool is not None:
                pool.close()
        connection.close()
        connection.creation.destroy_test_db(test_db, verbosity=0)
    return sent, repeats, engine.seconds, loop.seconds


def main() -> None:
    parser = arguments(__doc__, size_flag="recipients", default=20_000, smoke=2_000)
    # On SQLite one writer is fastest (more only queue on the file lock); use more on PostgreSQL.
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--rounds", type=int, default=0, help="turns each side takes (default: 4, smoke: 2)"
    )
    args = parse(parser)
    args.recipients = args.size
    args.rounds = args.rounds or (2 if args.smoke else 4)
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
