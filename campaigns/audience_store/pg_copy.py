"""Storing an audience on PostgreSQL: COPY into a staging table, then two set-based INSERTs.

The rows are streamed with psycopg's ``COPY … FROM STDIN`` into a temporary table (dropped at
commit), never held in memory. One ``INSERT … SELECT … ON CONFLICT`` then creates or updates
the contacts and one more adds the recipients, so Django prepares no value per row and the
whole audience lands in the caller's transaction: all of it, or nothing.

Columns the statements do not name get the model's default, read from the model itself, so a
field added to Contact or Recipient later needs no change here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.db import connection, models
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from bots.models import Contact
from campaigns.audience import AudienceError
from campaigns.audience_store.members import (
    ImportCounts,
    member_name,
    resolve_recipient_parameters,
)
from campaigns.models import Campaign, Recipient

PROGRESS_EVERY = 10_000
_STAGE = "audience_stage"
# The first row of each phone: later repeats are skipped.
_UNIQUE = f"SELECT DISTINCT ON (phone) * FROM {_STAGE} ORDER BY phone, line"  # noqa: S608
# Enough for the duplicate check of a million rows to sort in memory, for this transaction only.
_WORK_MEM = "64MB"


def store_by_copy(
    *,
    campaign: Campaign,
    audience: Iterable,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Store ``audience`` (members and skipped parser errors); needs an open transaction.

    A phone met twice keeps its first row; the others count as skipped. ``progress(rows_read)``
    is called every PROGRESS_EVERY rows while streaming, and once at the end.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("store_by_copy must run inside transaction.atomic()")
    counts = ImportCounts()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        _create_stage(cursor)
        staged, rows = _stream(cursor, campaign, audience, counts, progress)
        owner_id = campaign.bot.top_level.pk
        _upsert_contacts(cursor, owner_id)
        counts.size, counts.opted_out, unique = _insert_recipients(cursor, campaign.pk, owner_id)
        counts.skipped += staged - unique
        cursor.execute(f"DROP TABLE {_STAGE}")
    if progress is not None:
        progress(rows)
    return counts


def _create_stage(cursor) -> None:
    # A second import in the same transaction (a test, a retried savepoint) starts afresh.
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
    cursor.execute(
        f"CREATE TEMP TABLE {_STAGE} (line integer NOT NULL, phone text NOT NULL, "
        "name text NOT NULL, extras jsonb NOT NULL, parameters jsonb NOT NULL) ON COMMIT DROP"
    )


def _stream(cursor, campaign, audience, counts, progress) -> tuple[int, int]:
    """COPY the members into the stage; (rows staged, rows read)."""
    kind, parameters = campaign.kind, campaign.parameters
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    staged = rows = 0
    statement = f"COPY {_STAGE} (line, phone, name, extras, parameters) FROM STDIN"
    # The queued writer sends from a thread of its own, so parsing goes on while the server
    # takes the previous buffer.
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
        for item in audience:
            rows += 1
            if progress is not None and rows % PROGRESS_EVERY == 0:
                progress(rows)
            if isinstance(item, AudienceError):
                counts.skipped += 1
                continue
            extras = item.extras or {}
            params = resolve_recipient_parameters(kind=kind, parameters=parameters, extras=extras)
            copy.write_row((rows, item.phone, member_name(item), dumps(extras), dumps(params)))
            staged += 1
    return staged, rows


def _upsert_contacts(cursor, owner_id: int) -> None:
    """New phones become contacts; known ones take the row's name (if any) and extras on top.

    The WHERE leaves an unchanged contact untouched: no new row version, no trigger of work.
    """
    given = {"phone": "u.phone", "name": "u.name", "extras": "u.extras"}
    columns, values, params = _insert_parts(Contact, given, {"bot": owner_id})
    cursor.execute(
        f"INSERT INTO {Contact._meta.db_table} AS c ({columns}) "  # noqa: S608 (model names)
        f"SELECT {values} FROM ({_UNIQUE}) u "
        "ON CONFLICT (bot_id, phone) DO UPDATE SET "
        "name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE c.name END, "
        "extras = c.extras || EXCLUDED.extras, updated_at = EXCLUDED.updated_at "
        "WHERE (EXCLUDED.name <> '' AND EXCLUDED.name <> c.name) "
        "OR NOT c.extras @> EXCLUDED.extras",
        params,
    )


def _insert_recipients(cursor, campaign_id: int, owner_id: int) -> tuple[int, int, int]:
    """Recipients of the contacts not opted out; (recipients added, opted-out left out,
    distinct phones). A recipient already in the campaign (an interrupted import run again)
    is kept as it is."""
    given = {"contact": "m.id", "parameters": "m.parameters"}
    columns, values, params = _insert_parts(Recipient, given, {"campaign": campaign_id})
    contact = Contact._meta.db_table
    cursor.execute(
        f"WITH u AS MATERIALIZED ({_UNIQUE}), "  # noqa: S608 (model and constant names)
        f"m AS MATERIALIZED (SELECT c.id, c.opted_out, u.parameters FROM u "
        f"JOIN {contact} c ON c.bot_id = %s AND c.phone = u.phone), "
        f"added AS (INSERT INTO {Recipient._meta.db_table} ({columns}) "
        f"SELECT {values} FROM m WHERE NOT m.opted_out "
        "ON CONFLICT (campaign_id, contact_id) DO NOTHING RETURNING 1) "
        "SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM m WHERE m.opted_out), "
        "(SELECT count(*) FROM u)",
        [owner_id, *params],
    )
    added, opted_out, unique = cursor.fetchone()
    return added, opted_out, unique


def _insert_parts(model, given: dict[str, str], bound: dict) -> tuple[str, str, list]:
    """Column list, SELECT list and its parameters for every column but the primary key.

    ``given``: SQL expressions by field name; ``bound``: values by field name; any other
    column gets the field's default (timestamps: now).
    """
    now = timezone.now()
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in given:
            values.append(given[field.name])
            continue
        value = bound[field.name] if field.name in bound else _default(field, now)
        values.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    return ", ".join(columns), ", ".join(values), params


def _default(field: models.Field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()
