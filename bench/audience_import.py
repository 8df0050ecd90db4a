"""Audience import bench: validate + store a 100,000-row CSV through the wizard's service.

Prints rows/second for (a) validating the file as step 1 does (scan_audience), (b) storing it
through ``campaign_create`` (parse again, upsert contacts, recipients, hand-off), and, side by side
in the same process and database, (c) a plain ``bulk_create`` of the same contacts and recipients
with no validation at all, as the baseline. Peak Python memory of each phase comes from
tracemalloc.

SQLite by default (a temporary file, migrated at start); PostgreSQL when DATABASE_URL is set
(Django's test-database machinery creates and drops a throwaway ``test_<name>`` database).

    .venv/bin/python bench/audience_import.py [ROWS]
"""

import io
import logging
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="bench-audience-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blipportal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(TMP / "media"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def make_csv(rows: int) -> bytes:
    """Brazilian mobiles in mixed notations, a name and a city; 1% bad phones, 0.5% repeats."""
    rng = random.Random(42)
    out = io.StringIO()
    out.write("telefone;nome;cidade\n")
    cities = ["BH", "Rio", "São Paulo", "Recife", "Curitiba"]
    for i in range(rows):
        number = 11_900_000_000 + i
        ddd, rest = str(number)[:2], str(number)[2:]
        notation = i % 4
        if i % 100 == 99:
            phone = "abc"
        elif i % 200 == 50 and i:
            phone = f"+55{11_900_000_000 + i - 1}"
        elif notation == 0:
            phone = f"+55{number}"
        elif notation == 1:
            phone = f"({ddd}) {rest[:5]}-{rest[5:]}"
        elif notation == 2:
            phone = f"0055 {ddd} {rest}"
        else:
            phone = f"{ddd}{rest}"
        out.write(f"{phone};Pessoa {i};{rng.choice(cities)}\n")
    return out.getvalue().encode("utf-8")


def measure(label: str, rows: int, func, *, trace: bool = False):
    """Time ``func``; with ``trace``, report tracemalloc's peak instead (it slows Python down
    several times, so speeds are always measured on untraced runs)."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  peak Python memory, {label:<40} {peak / 2**20:7.1f} MiB")
    else:
        print(f"{label:<44} {rows:>8} rows {elapsed:7.2f} s {rows / elapsed:>10,.0f} rows/s")
    return result


def service_import(bot, block, template, data: bytes):
    from campaigns.audience import AudienceParser
    from campaigns.dispatch import campaign_create
    from campaigns.services import AudienceMember

    rows = (
        AudienceMember(phone=r.phone, extras=r.extras) if hasattr(r, "phone") else r
        for r in AudienceParser(io.BytesIO(data))
    )
    return campaign_create(
        bot=bot,
        created_by=None,
        name="Bench",
        kind="bulk",
        template=template,
        parameters={"body": ["nome", "cidade"]},
        routing="flow",
        routing_bot=bot,
        flow_block=block,
        audience=rows,
    )


def background_import(bot, block, template, data: bytes):
    """What the wizard does above AUDIENCE_INLINE_MAX_ROWS: the request, then the task."""
    from django.core.files.base import ContentFile

    from campaigns import importing

    queued: list[int] = []
    real_enqueue = importing._enqueue_import
    importing._enqueue_import = queued.append  # measured apart, not run at commit
    try:
        measure(
            "  the request: create Draft, store file",
            ROWS,
            lambda: importing.campaign_create_importing(
                bot=bot,
                created_by=None,
                name="Bench",
                kind="bulk",
                template=template,
                parameters={"body": ["nome", "cidade"]},
                routing="flow",
                routing_bot=bot,
                flow_block=block,
                audience_file=ContentFile(data, name="bench.csv"),
                rows_total=ROWS,
            ),
        )
    finally:
        importing._enqueue_import = real_enqueue
    measure(
        "  the task: import_audience, then submit",
        ROWS,
        lambda: importing.campaign_import_audience(campaign_id=queued[0]),
    )


def baseline_import(bot, block, template, members: list[tuple[str, dict]]):
    """The same rows with no parsing, no validation, no upsert: two bulk_create calls."""
    from django.db import transaction

    from bots.models import Contact
    from campaigns.models import Campaign, Recipient

    with transaction.atomic():
        campaign = Campaign.objects.create(
            bot=bot,
            name="Baseline",
            kind="bulk",
            template=template,
            parameters={"body": ["nome", "cidade"]},
            routing="flow",
            routing_bot=bot,
            flow_block=block,
        )
        contacts = Contact.objects.bulk_create(
            [Contact(bot=bot, phone=p, extras=e) for p, e in members], batch_size=1000
        )
        if contacts and contacts[0].pk is None:  # backends that do not return ids
            contacts = list(Contact.objects.filter(bot=bot).only("id"))
        Recipient.objects.bulk_create(
            [
                Recipient(
                    campaign=campaign,
                    contact_id=c.pk,
                    parameters={"body": [e["nome"], e["cidade"]], "header": None, "button": None},
                )
                for c, (_p, e) in zip(contacts, members, strict=False)
            ],
            batch_size=1000,
        )


def fresh_bot(slug: str):
    """A new connected bot with its block and template: every run imports new contacts."""
    from bots.models import Bot, FlowBlock
    from campaigns.models import MessageTemplate

    bot = Bot.objects.create(slug=slug, name=slug, whatsapp_number="+5511999990000")
    block = FlowBlock.objects.create(bot=bot, block_id="inicio", name="Início")
    template = MessageTemplate.objects.create(
        bot=bot, name="oferta", category="marketing", status="approved", body="Oi {{1}} de {{2}}"
    )
    return bot, block, template


def run(data: bytes, *, trace: bool) -> None:
    from campaigns.audience import AudienceParser, scan_audience

    tag = "trace-" if trace else ""
    scan = measure(
        "validate (step 1: scan_audience)",
        ROWS,
        lambda: scan_audience(io.BytesIO(data)),
        trace=trace,
    )
    bot, block, template = fresh_bot(f"{tag}service")
    campaign = measure(
        "validate + store (campaign_create)",
        ROWS,
        lambda: service_import(bot, block, template, data),
        trace=trace,
    )
    members = [(r.phone, r.extras) for r in AudienceParser(io.BytesIO(data)) if hasattr(r, "phone")]
    other = fresh_bot(f"{tag}baseline")
    measure(
        "baseline: plain bulk_create, same rows",
        len(members),
        lambda: baseline_import(*other, members),
        trace=trace,
    )
    if not trace:
        print(
            f"  valid {scan['valid_rows']}, bad {scan['error_count']}; campaign: "
            f"{campaign.audience_size} recipients, {campaign.skipped_rows} skipped, "
            f"{campaign.status}"
        )
        measure(
            "re-import, contacts exist (upsert path)",
            ROWS,
            lambda: service_import(bot, block, template, data),
        )
        print("background path (wizard, above AUDIENCE_INLINE_MAX_ROWS), new contacts:")
        background_import(*fresh_bot("background"), data)


def main() -> None:
    logging.getLogger("campaigns.sending").setLevel(logging.ERROR)
    logging.getLogger("celery").setLevel(logging.ERROR)
    from campaigns import jobs

    # Storing the audience is measured, not sending it: with no broker Celery runs eagerly and
    # the engine would send 100,000 messages through the rate limiter.
    jobs.start_sending = lambda *, campaign_id: None
    creation = connection.creation
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        data = make_csv(ROWS)
        print(f"database: {connection.vendor} · file: {len(data) / 2**20:.1f} MiB, {ROWS} rows")
        run(data, trace=False)
        print("memory (separate runs under tracemalloc):")
        run(data, trace=True)
    finally:
        creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
