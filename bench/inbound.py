"""Inbound pipeline: latency and SQL statements per message at 1,000 vs 1,000,000 contacts.

    python bench/inbound.py [--contacts 1000000] [--baseline 1000] [--messages 1000] [--smoke]

Each size gets its own throwaway store: a temporary SQLite file by default; when DATABASE_URL
points at PostgreSQL, a schema of its own in a throwaway ``<name>_bench_inbound`` database
(created, then dropped at the end; never the DATABASE_URL database itself). It is loaded
in bulk with contacts, their states, reply directives (half still valid, half expired),
attendance rules, closed tickets and message history. Then inbound messages are posted to the
real webhook view through Django's test Client, timing each one and counting its SQL statements
(BEGIN and COMMIT, which Django logs too, are not counted).
The after-commit task each message enqueues is run after it, as a worker would, untimed; its
statements are shown apart (they are not the request's) and every message must have had it.
Both sizes run in child processes of this one, side by side, so the figures compare like with
like: the query count must not grow with the data (the small size is the baseline).

The metric is the p95 latency at the large size; the goal is p95 ≤ 10 ms with at most five
statements per message, the same at both sizes.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

from _harness import ROOT, arguments, column_defaults, machine, parse, result

BATCH = 10_000
GOAL_P95_MS = 10
GOAL_STATEMENTS = 5
CITIES = ["BH", "Rio", "São Paulo", "Recife", "Curitiba"]
CHILD = "CHILD-RESULT "  # how a child hands its figures to the parent
TEXTS = ["quero comprar", "Bom dia", "qual o preço?", "Oi", "preciso de ajuda", "cancelar"]


# --- child: load one database and measure ----------------------------------------------------


def _setup(db_url: str, schema: str = "", *, migrate: bool = True) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blipportal.settings_test")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if schema:  # PostgreSQL: every table of this run lives in its own throwaway schema
        options = settings.DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"-c search_path={schema}"
    django.setup()
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0)


def _progress(label: str, done: int, total: int, started: float) -> None:
    print(f"  [{label}] {done:>9,}/{total:,}  {time.perf_counter() - started:6.1f} s", flush=True)


def _load(contacts: int) -> dict:
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from bots.models import Bot, Contact, ContactState, FlowBlock, Message
    from desk.models import (
        AttendanceRule,
        Attendant,
        ReplyDirective,
        RuleCondition,
        Team,
        TeamMembership,
        Ticket,
        TicketSequence,
    )

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    bot = Bot.objects.create(
        slug="bench", name="Bench", whatsapp_number="+5511900000000", desk_enabled=True
    )
    human = FlowBlock.objects.create(bot=bot, block_id="desk:atendimento", name="Humano")
    default = Team.objects.get(bot=bot, name="Default")
    teams = [Team.objects.create(bot=bot, name=f"Fila {i}") for i in range(10)]
    attendants = []
    for i in range(50):
        attendant = Attendant.objects.create(
            bot=bot, email=f"a{i}@example.com", status="online", slots=30_000
        )
        TeamMembership.objects.create(attendant=attendant, team=teams[i % 10])
        attendants.append(attendant)
    for i in range(20):  # most rules miss, so a message walks the whole list
        rule = AttendanceRule.objects.create(
            bot=bot, name=f"Regra {i}", priority=i + 1, team=teams[i % 10], operator="and"
        )
        RuleCondition.objects.create(
            rule=rule, source="extra", extra_key="cidade", relation="equals", values=[CITIES[i % 5]]
        )
        RuleCondition.objects.create(
            rule=rule, source="last_message", relation="contains", values=[f"palavra{i}", "xyz"]
        )
    now = timezone.now()
    ids = {
        "bot": bot.pk,
        "human": human.pk,
        "default": default.pk,
        "teams": [t.pk for t in teams],
        "attendants": [a.pk for a in attendants],
    }
    started = time.perf_counter()
    for start in range(0, contacts, BATCH):
        stop = min(start + BATCH, contacts)
        with transaction.atomic():
            _insert_batch(range(start, stop), ids, now)
        if stop % 100_000 == 0 or stop == contacts:
            _progress(f"{contacts:,} contacts", stop, contacts, started)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(
            no_style(), [Contact, ContactState, ReplyDirective, Ticket, Message]
        ):
            cursor.execute(statement)
    TicketSequence.objects.create(bot=bot, last=contacts + 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"secret": bot.webhook_secret, "load_seconds": round(time.perf_counter() - started, 1)}


def _insert(cursor, model, columns: str, rows: list[tuple]) -> None:
    """Plain multi-row executemany: ten times faster than bulk_create for a million rows.

    Columns not named take the model's default, so a field added later needs no change here.
    """
    from django.db import connection

    names = [c.strip() for c in columns.split(",")]
    others, defaults = column_defaults(model, skip=names)
    quoted = ", ".join(connection.ops.quote_name(n) for n in names + others)
    marks = ", ".join(["%s"] * (len(names) + len(others)))
    table = model._meta.db_table
    rows = [(*row, *defaults) for row in rows]
    cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # noqa: S608


def _insert_batch(indexes: range, ids: dict, now) -> None:
    """Contacts i (id i + 1) with their state, a directive each and, for one in ten, history."""
    import datetime as dt

    from django.db import connection

    from bots.models import Contact, ContactState, Message
    from desk.models import ReplyDirective, Ticket

    stamp = connection.ops.adapt_datetimefield_value
    teams, people = ids["teams"], ids["attendants"]
    contacts, states, directives, tickets, messages = [], [], [], [], []
    for i in indexes:
        cid = i + 1
        sent = now - dt.timedelta(hours=i % 48)  # about half of the directives have expired (R11)
        inbound = stamp(now - dt.timedelta(hours=i % 30))
        contacts.append(
            (
                cid,
                ids["bot"],
                f"+55119{i:08d}",
                f"Contato {i}",
                "",
                json.dumps({"cidade": CITIES[i % 5]}),
                False,
                inbound,
                stamp(now),
                stamp(now),
            )
        )
        states.append((cid, cid, ids["bot"], ids["human"], stamp(now)))
        directives.append(
            (
                cid,
                cid,
                ids["bot"],
                None if i % 2 else teams[i % 10],
                people[i % 50] if i % 2 else None,
                f"Campanha {i % 100}",
                stamp(sent),
                stamp(sent + dt.timedelta(hours=24)),
                False,
                stamp(sent),
            )
        )
        if i % 10 == 0:
            tickets.append(
                (
                    cid,
                    ids["bot"],
                    i + 1,
                    cid,
                    ids["default"],
                    people[i % 50],
                    "closed_attendant",
                    "default",
                    "bench",
                    stamp(sent),
                    stamp(now),
                )
            )
            messages.append(
                (cid, ids["bot"], cid, "out", "template", "Olá", "{}", "sent", "", "", stamp(sent))
            )
    with connection.cursor() as cursor:
        _insert(
            cursor,
            Contact,
            "id, bot_id, phone, name, email, extras, opted_out, "
            "last_inbound_at, created_at, updated_at",
            contacts,
        )
        _insert(cursor, ContactState, "id, contact_id, bot_id, block_id, updated_at", states)
        _insert(
            cursor,
            ReplyDirective,
            "id, contact_id, bot_id, team_id, attendant_id, "
            "source_label, sent_at, valid_until, superseded, created_at",
            directives,
        )
        _insert(
            cursor,
            Ticket,
            "id, bot_id, sequence, contact_id, team_id, attendant_id, "
            "status, routed_by, routing_reason, created_at, closed_at",
            tickets,
        )
        _insert(
            cursor,
            Message,
            "id, bot_id, contact_id, direction, kind, text, payload, "
            "status, gateway_message_id, failure_reason, created_at",
            messages,
        )


def _prepare_for_measuring() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Fold the bulk load out of the write-ahead log, so no checkpoint of a million rows
            # lands in the middle of a measurement.
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _post(client, secret: str, envelope_id: str, phone_digits: str, text: str):
    body = {
        "id": envelope_id,
        "from": f"{phone_digits}@wa.gw.msging.net/instance",
        "to": "bench@msging.net",
        "type": "text/plain",
        "content": text,
    }
    response = client.post(
        "/webhooks/blip/bench/messages",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Key {secret}"},
    )
    assert response.status_code == 200, response.content
    return response


def _measure(contacts: int, messages: int, rounds: int, round_no: int, secret: str) -> dict:
    """One round: messages // rounds contacts of this round's slice, after a warm-up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # As a server with persistent connections: the page cache survives between requests.
    connection.settings_dict["CONN_MAX_AGE"] = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's usual setting
    # As in production: the after-commit task goes to a worker, outside the request. The bench
    # works the queue off after each message (not timed) and counts those statements apart.
    from celery import current_app

    # Both names: celery 5.6 reads the Django setting's namespaced key before the plain one.
    current_app.conf.update(task_always_eager=False, CELERY_TASK_ALWAYS_EAGER=False)
    client = Client()
    rng = random.Random(7)
    everyone = rng.sample(range(contacts), min(contacts, messages))
    per_round = len(everyone) // rounds
    picks = everyone[round_no * per_round : (round_no + 1) * per_round]
    # One message in ten comes from a contact who just wrote, so it joins the open ticket.
    picks = [picks[n - 1] if n and n % 10 == 0 else p for n, p in enumerate(picks)]
    for n in range(30):  # warm-up on new phones outside the loaded set (they go to the flow)
        _post(client, secret, f"warm-{round_no}-{n}", f"55118{round_no:03d}{n:05d}", "oi")
        _work_off(current_app)
    latencies, queries, after, targets = [], [], [], {}
    for n, index in enumerate(picks):
        connection.queries_log.clear()  # CaptureQueriesContext reads this bounded log
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            response = _post(
                client, secret, f"bench-{round_no}-{n}", f"55119{index:08d}", rng.choice(TEXTS)
            )
            latencies.append((time.perf_counter() - began) * 1000)
        queries.append(_statements(ctx.captured_queries))
        target = response.json()["target"]
        targets[target] = targets.get(target, 0) + 1
        with CaptureQueriesContext(connection) as worker:
            ran = _work_off(current_app)
            if ran != 1:
                raise RuntimeError(f"a message enqueued {ran} after-commit tasks, not one (#{n})")
        after.append(_statements(worker.captured_queries))
    _check_effects_ran()
    return {"latencies": latencies, "queries": queries, "after": after, "targets": targets}


def _statements(captured: list[dict]) -> int:
    """Statements that do work: Django also logs BEGIN, COMMIT and ROLLBACK, which are not."""
    control = ("BEGIN", "COMMIT", "ROLLBACK")
    return sum(1 for q in captured if q["sql"].strip().upper() not in control)


def _work_off(app) -> int:
    """Run the tasks the requests enqueued, as a worker would; how many."""
    ran = 0
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue(app.conf.task_default_queue)
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    return ran
                args, kwargs, _embed = message.payload
                app.tasks[message.headers["task"]](*args, **kwargs)
                message.ack()
                ran += 1
        finally:
            queue.close()


def _check_effects_ran() -> None:
    from desk.models import InboundRouting

    pending = InboundRouting.objects.filter(effects_at__isnull=True).count()
    if pending:
        raise RuntimeError(f"{pending} inbound messages never had their after-commit effects")


def child(args) -> None:
    _setup(args.db, args.schema, migrate=args.child == "load")
    if args.child == "load":
        print(f"loading {args.contacts:,} contacts into {_describe(args.db, args.schema)} …")
        loaded = _load(args.contacts)
        _prepare_for_measuring()
        result = loaded
    else:
        result = _measure(args.contacts, args.messages, args.rounds, args.round, args.secret)
    print(CHILD + json.dumps(result), flush=True)


# --- parent: one throwaway database per size, then the table ---------------------------------


def _describe(url: str, schema: str = "") -> str:
    parts = urlsplit(url)
    return f"{parts.scheme} {parts.path}" + (f" (schema {schema})" if schema else "")


def _postgres_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')


def _postgres_database(base_url: str, *, create: bool) -> str:
    """(Re)create or drop the bench's own database beside DATABASE_URL's; its URL."""
    import psycopg

    parts = urlsplit(base_url)
    name = f"{parts.path.lstrip('/')}_bench_inbound"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _run_child(mode: str, store: dict, contacts: int, *extra: str) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--db", store["url"]]
    command += ["--schema", store["schema"], "--contacts", str(contacts), *extra]
    result = None
    # Our own script with fixed arguments; its output is streamed so progress shows live.
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:  # noqa: S603
        for line in proc.stdout:
            if line.startswith(CHILD):
                result = json.loads(line[len(CHILD) :])
            else:
                print(line, end="", flush=True)
    if proc.returncode or result is None:
        raise SystemExit(f"the {contacts:,}-contact {mode} failed")
    return result


def _store(contacts: int, workdir: str, postgres_url: str) -> dict:
    if postgres_url:
        schema = f"bench_inbound_{contacts}"
        _postgres_schema(postgres_url, schema)
        return {"url": postgres_url, "schema": schema}
    return {"url": f"sqlite:///{workdir}/inbound-{contacts}.sqlite3", "schema": ""}


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)


def run(sizes: tuple[int, ...], messages: int, rounds: int, workdir: str) -> list[dict]:
    """Load every size, then measure them in alternating rounds so that a busy moment of the
    machine falls on both sides alike."""
    base = os.environ.get("DATABASE_URL", "")
    postgres = base.startswith(("postgres://", "postgresql://"))
    postgres_url = _postgres_database(base, create=True) if postgres else ""
    try:
        stores = {n: _store(n, workdir, postgres_url) for n in sizes}
        loaded = {n: _run_child("load", stores[n], n) for n in sizes}
        rows = {n: {"latencies": [], "queries": [], "after": [], "targets": {}} for n in sizes}
        for round_no in range(rounds):
            order = sizes if round_no % 2 == 0 else tuple(reversed(sizes))
            print(f"measuring, round {round_no + 1}/{rounds} …", flush=True)
            for n in order:
                extra = ("--messages", str(messages), "--rounds", str(rounds))
                extra += ("--round", str(round_no), "--secret", loaded[n]["secret"])
                part = _run_child("measure", stores[n], n, *extra)
                rows[n]["latencies"] += part["latencies"]
                rows[n]["queries"] += part["queries"]
                rows[n]["after"] += part["after"]
                for target, count in part["targets"].items():
                    rows[n]["targets"][target] = rows[n]["targets"].get(target, 0) + count
    finally:
        if postgres:
            _postgres_database(base, create=False)
    return [
        {
            "contacts": n,
            "messages": len(rows[n]["latencies"]),
            "p50": _percentile(rows[n]["latencies"], 50),
            "p95": _percentile(rows[n]["latencies"], 95),
            "p99": _percentile(rows[n]["latencies"], 99),
            "queries_seen": sorted(set(rows[n]["queries"])),
            "after_seen": sorted(set(rows[n]["after"])),
            "targets": rows[n]["targets"],
            "load_seconds": loaded[n]["load_seconds"],
        }
        for n in sizes
    ]


def report(rows: list[dict]) -> tuple[bool, float]:
    """Print the table; (statements the same at every size and within the goal, p95 at the
    largest size)."""
    print()
    head = ("contacts", "msgs", "p50 ms", "p95 ms", "p99 ms", "queries/msg")
    print("{:>10} {:>5} {:>8} {:>8} {:>8} {:>12}".format(*head))
    for r in rows:
        spread = "/".join(str(q) for q in r["queries_seen"])
        print(
            f"{r['contacts']:>10,} {r['messages']:>5} {r['p50']:>8} {r['p95']:>8} {r['p99']:>8}"
            f" {spread:>12}"
        )
    for r in rows:
        print(f"  {r['contacts']:,}: routed {r['targets']}; load {r['load_seconds']} s")
    for r in rows:
        spread = "/".join(str(q) for q in r["after_seen"])
        print(f"  {r['contacts']:,}: after commit, in the worker: {spread} statements per message")
    same = {tuple(r["queries_seen"]) for r in rows}
    verdict = "the same" if len(same) == 1 else "DIFFERENT"
    print(f"\nSQL queries per message are {verdict} at every size: {sorted(same)}")
    most = max(q for r in rows for q in r["queries_seen"])
    print(f"at most {most} statements per message (goal ≤ {GOAL_STATEMENTS})")
    return len(same) == 1 and most <= GOAL_STATEMENTS, rows[-1]["p95"]


def main() -> None:
    parser = arguments(__doc__, size_flag="contacts", default=1_000_000, smoke=2_000)
    parser.add_argument("--baseline", type=int, default=None, help="contacts of the small size")
    parser.add_argument("--messages", type=int, default=None, help="messages per size")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds")
    parser.add_argument("--child", choices=["load", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--secret", default="", help=argparse.SUPPRESS)
    args = parse(parser)
    args.contacts = args.size
    small = {"baseline": 200, "messages": 100, "rounds": 2}
    full = {"baseline": 1_000, "messages": 1_000, "rounds": 5}
    for name, value in (small if args.smoke else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.child:
        child(args)
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-inbound-") as workdir:
        rows = run((args.baseline, args.contacts), args.messages, args.rounds, workdir)
    statements_ok, p95 = report(rows)
    print(f"machine after the run: {machine()}")
    passed = statements_ok and p95 <= GOAL_P95_MS
    result("inbound_p95_ms", float(p95), f"<={GOAL_P95_MS}", passed, smoke=args.smoke)


if __name__ == "__main__":
    main()
