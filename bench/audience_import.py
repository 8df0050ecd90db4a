"""Audience import: the background import task beside a plain parse + phonenumbers + COPY.

    python bench/audience_import.py [--rows 100000] [--rounds 2] [--smoke]

Builds a CSV of Brazilian mobiles in mixed notations (1 % bad phones, 0.5 % repeated), then,
in alternating rounds so that a busy moment falls on both sides alike:

- project: ``campaign_import_audience``, the Celery task of a wizard upload too large for one
  request: parse and validate (R16), store contacts and recipients (COPY and set-based SQL on
  PostgreSQL), count, submit (the hand-off to the sending engine is left out);
- baseline: the least a correct import does, written plainly: ``csv.reader``, phonenumbers'
  ``parse`` / ``is_valid_number`` / ``format_number``, a set for repeated phones, ``COPY`` of
  the contacts and one ``INSERT … SELECT`` of their recipients, in one transaction.

Every round imports new contacts (a new bot). The metric is the project's rows/s over the
baseline's (best round of each); the goal is ≥ 1.0 and a peak resident memory of the process
that imports under 200 MB (each side runs in a forked process of its own; the file is streamed
from disk, never held in memory). PostgreSQL when
DATABASE_URL is set (a throwaway ``<name>_bench`` database), else SQLite, whose baseline uses
executemany as SQLite has no COPY.
"""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import random
import tempfile
from pathlib import Path

from _harness import (
    arguments,
    column_defaults,
    django_setup,
    machine,
    parse,
    peak_rss_mb,
    result,
    throwaway_database,
    timed,
)

GOAL_RATIO = 1.0
GOAL_RSS_MB = 200
CITIES = ["BH", "Rio", "São Paulo", "Recife", "Curitiba"]


def write_csv(path: Path, rows: int) -> None:
    """Mixed notations, a name and a city; 1 % bad phones, 0.5 % repeats of the row before."""
    rng = random.Random(42)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("telefone;nome;cidade\n")
        for i in range(rows):
            number = 11_900_000_000 + i
            ddd, rest = str(number)[:2], str(number)[2:]
            if i % 100 == 99:
                phone = "abc"
            elif i % 200 == 50:
                phone = f"+55{number - 1}"
            else:
                phone = (
                    f"+55{number}",
                    f"({ddd}) {rest[:5]}-{rest[5:]}",
                    f"0055 {ddd} {rest}",
                    f"{ddd}{rest}",
                )[i % 4]
            out.write(f"{phone};Pessoa {i};{rng.choice(CITIES)}\n")


def fresh_bot(slug: str) -> dict:
    """A new connected bot (every round imports new contacts): the campaign's fields."""
    from bots.models import Bot, FlowBlock
    from campaigns.models import MessageTemplate

    bot = Bot.objects.create(slug=slug, name=slug, whatsapp_number="+5511999990000")
    block = FlowBlock.objects.create(bot=bot, block_id="inicio", name="Início")
    template = MessageTemplate.objects.create(
        bot=bot, name="oferta", category="marketing", status="approved", body="Oi {{1}} de {{2}}"
    )
    return {
        "bot": bot,
        "kind": "bulk",
        "template": template,
        "parameters": {"body": ["nome", "cidade"]},
        "routing": "flow",
        "routing_bot": bot,
        "flow_block": block,
    }


def project_import(slug: str, path: Path, rows: int) -> tuple[float, int]:
    """The wizard's background path: the request stores the file, then the task (timed)."""
    from django.core.files import File

    from campaigns import importing

    fields = fresh_bot(slug)
    queued: list[int] = []
    real_enqueue = importing._enqueue_import
    importing._enqueue_import = queued.append  # the task is timed apart, below
    try:
        with path.open("rb") as fileobj:
            importing.campaign_create_importing(
                **fields,
                created_by=None,
                name="Bench",
                audience_file=File(fileobj, name="bench.csv"),
                rows_total=rows,
            )
    finally:
        importing._enqueue_import = real_enqueue
    with timed() as took:
        outcome = importing.campaign_import_audience(campaign_id=queued[0])
    if outcome != "done":
        raise SystemExit(f"the import ended {outcome!r}")
    return took[0], fields["bot"].campaigns.get().audience_size


def baseline_import(slug: str, path: Path) -> tuple[float, int]:
    """Plain parse + phonenumbers + COPY of the contacts + one INSERT … SELECT of recipients."""
    import phonenumbers
    from django.db import connection, transaction

    from bots.models import Contact
    from campaigns.models import Campaign, Recipient

    fields = fresh_bot(slug)
    bot = fields["bot"]
    campaign = Campaign.objects.create(**fields, name="Baseline")
    e164 = phonenumbers.PhoneNumberFormat.E164
    columns, fixed = _columns(Contact, {"bot": bot.pk}, ["phone", "name", "extras"])
    with timed() as took, transaction.atomic(), connection.cursor() as cursor:
        seen: set[str] = set()
        rows = []
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter=";")
            next(reader)
            for raw, name, city in reader:
                if raw.startswith("00"):  # phonenumbers would read 0055 as a carrier code
                    raw = "+" + raw[2:]
                try:
                    number = phonenumbers.parse(raw, "BR")
                except phonenumbers.NumberParseException:
                    continue
                if not phonenumbers.is_valid_number(number):
                    continue
                phone = phonenumbers.format_number(number, e164)
                if phone in seen:
                    continue
                seen.add(phone)
                extras = json.dumps({"nome": name, "cidade": city}, ensure_ascii=False)
                rows.append((phone, name, extras, *fixed))
                if len(rows) >= 5000:
                    _write(cursor, Contact, columns, rows)
                    rows = []
        _write(cursor, Contact, columns, rows)
        given = {"contact": "c.id", "parameters": _PARAMS[connection.vendor]}
        rcols, rvalues, rparams = _select_parts(Recipient, given, {"campaign": campaign.pk})
        cursor.execute(
            f"INSERT INTO {Recipient._meta.db_table} ({rcols}) SELECT {rvalues} "  # noqa: S608
            f"FROM {Contact._meta.db_table} c WHERE c.bot_id = %s",
            [*rparams, bot.pk],
        )
        stored = cursor.rowcount
    return took[0], stored


# The recipient's parameters built from the contact's extras by the database itself.
_PARAMS = {
    "postgresql": "jsonb_build_object('body', jsonb_build_array(c.extras->>'nome', "
    "c.extras->>'cidade'), 'header', null, 'button', null)",
    "sqlite": "json_object('body', json_array(c.extras->>'nome', c.extras->>'cidade'), "
    "'header', null, 'button', null)",
}


def _columns(model, given: dict, first: list[str]) -> tuple[list[str], list]:
    """Columns of a COPY: ``first`` (filled per row), then the others with fixed values."""
    names, values = column_defaults(model, given=given, skip=first)
    return [model._meta.get_field(f).column for f in first] + names, values


def _select_parts(model, given: dict[str, str], bound: dict) -> tuple[str, str, list]:
    names, values = column_defaults(model, given=bound, skip=list(given))
    columns = [model._meta.get_field(f).column for f in given] + names
    return ", ".join(columns), ", ".join([*given.values(), *["%s"] * len(values)]), values


def _write(cursor, model, columns: list[str], rows: list[tuple]) -> None:
    from django.db import connection

    if not rows:
        return
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


def in_child(work, *args) -> tuple:
    """``work(*args)`` in a forked process of its own: its result and that process's peak RSS.

    Each side runs apart so that its peak memory is its own (a Python process keeps what it
    once held, so the side that ran first would otherwise count in the other's figure).
    """
    from django.db import connections

    connections.close_all()  # the child opens its own connection
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def run() -> None:
        try:
            sender.send(("ok", work(*args), peak_rss_mb()))
        except BaseException as exc:
            sender.send(("error", repr(exc), 0.0))
            raise

    child = context.Process(target=run)
    child.start()
    status, value, rss = receiver.recv()
    child.join()
    if status != "ok":
        raise SystemExit(f"{work.__name__} failed: {value}")
    return value, rss


def rounds(path: Path, size: int, count: int) -> tuple[dict, dict, dict]:
    """Alternate the two sides ``count`` times; best seconds, rows stored and peak RSS of each."""
    best = {"project": float("inf"), "baseline": float("inf")}
    stored, rss = {}, {"project": 0.0, "baseline": 0.0}
    for n in range(count):
        for side in ("baseline", "project") if n % 2 == 0 else ("project", "baseline"):
            if side == "project":
                (seconds, stored[side]), peak = in_child(project_import, f"p{n}", path, size)
            else:
                (seconds, stored[side]), peak = in_child(baseline_import, f"b{n}", path)
            best[side] = min(best[side], seconds)
            rss[side] = max(rss[side], peak)
            rate = size / seconds
            print(
                f"  round {n + 1} {side:<9} {seconds:7.2f} s {rate:>10,.0f} rows/s "
                f"peak RSS {peak:5.0f} MB",
                flush=True,
            )
    if stored["project"] != stored["baseline"]:
        raise SystemExit(f"the two sides stored different audiences: {stored}")
    return best, stored, rss


def main() -> None:
    parser = arguments(__doc__, size_flag="rows", default=100_000, smoke=5_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each side (best kept)")
    args = parse(parser)
    django_setup(CELERY_BROKER_URL="")
    logging.getLogger("campaigns").setLevel(logging.ERROR)
    from django.db import connection

    from campaigns import jobs

    jobs.start_sending = lambda *, campaign_id: None  # storing is measured, not sending
    with tempfile.TemporaryDirectory(prefix="bench-audience-") as tmp, throwaway_database():
        path = Path(tmp) / "audience.csv"
        write_csv(path, args.size)
        print(f"database: {connection.vendor}; {args.size:,} rows, {path.stat().st_size:,} bytes")
        print(f"machine: {machine()}")
        best, stored, rss_of = rounds(path, args.size, args.rounds)
    ratio = best["baseline"] / best["project"]
    rss = rss_of["project"]
    print(f"recipients stored per run: {stored['project']:,}")
    for side in ("project", "baseline"):
        print(f"{side:<9}{args.size / best[side]:>10,.0f} rows/s (best of {args.rounds})")
    print(
        f"peak RSS of the project's import process: {rss:.0f} MB (goal < {GOAL_RSS_MB} MB); "
        f"the baseline's: {rss_of['baseline']:.0f} MB"
    )
    print(f"machine after the run: {machine()}")
    passed = ratio >= GOAL_RATIO and rss < GOAL_RSS_MB
    result("import_vs_baseline", ratio, f">={GOAL_RATIO}", passed, smoke=args.smoke)


if __name__ == "__main__":
    main()
