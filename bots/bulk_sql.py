"""Set-based writes the ORM cannot express: one UPDATE for many rows, saying which rows won.

Both run unchanged on PostgreSQL and SQLite (3.35+): ``UPDATE … FROM (VALUES …)`` reads each
row's own values (VALUES columns are ``column1``, ``column2``… on both), and ``RETURNING id``
tells which rows the compare-and-set in ``where`` let through. ``insert_sql`` hands out the
ORM's own INSERT of one object, so a hot path can send several writes as one statement.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def ids_clause(column: str, ids: Sequence[int]) -> tuple[str, list]:
    """``column = ANY(%s)`` on PostgreSQL (one parameter whatever the count), ``IN`` elsewhere.

    The ids go as one array literal: psycopg would quote a list element by element in Python.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", ["{" + ",".join(str(int(i)) for i in ids) + "}"]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def update_returning(
    *, table: str, set_sql: str, where_sql: str, params: list, returning: str = "id"
) -> list[tuple]:
    """``UPDATE table SET … WHERE … RETURNING …``: one tuple per row it changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {set_sql} WHERE {where_sql} RETURNING {returning}",  # noqa: S608
            [adapt_value(value) for value in params],
        )
        return [tuple(row) for row in cursor.fetchall()]


def update_from_values(
    *,
    table: str,
    rows: Sequence[tuple],
    set_sql: str,
    where_sql: str = "TRUE",
    types: Sequence[str] = (),
) -> list[int]:
    """One UPDATE giving each row its own values; the ids of the rows it changed.

    ``rows`` are tuples whose first item is the row's id (``v.column1``); ``set_sql`` and
    ``where_sql`` read the others as ``v.column2``… and the table by its name. ``types``: the
    SQL type of each column (``bigint``, ``text``, ``timestamptz``…); with them, PostgreSQL gets
    the rows as one JSON document (``jsonb_to_recordset``) instead of a placeholder per value,
    whose client-side quoting and parsing cost more than the UPDATE itself at a few hundred rows.
    """
    if not rows:
        return []
    width = len(rows[0])
    if types and connection.vendor == "postgresql":
        if len(types) != width:
            raise ValueError(f"{len(types)} types for rows of {width} values")
        names = [f"column{i}" for i in range(1, width + 1)]
        document = json.dumps(
            [dict(zip(names, map(_json_value, row), strict=True)) for row in rows]
        )
        columns = ", ".join(f"{name} {kind}" for name, kind in zip(names, types, strict=True))
        source, params = f"jsonb_to_recordset(%s::jsonb) AS v({columns})", [document]
    else:
        values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows))
        source = f"(VALUES {values}) AS v"
        params = [adapt_value(value) for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {set_sql} FROM {source} "  # noqa: S608
            f"WHERE {table}.id = v.column1 AND ({where_sql}) RETURNING id",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def insert_sql(obj: Model, *, ignore_conflicts: bool = False) -> tuple[str, tuple]:
    """``INSERT … RETURNING id`` of one unsaved object, as ``save()`` would send it.

    Defaults, ``auto_now_add`` and value preparation are the ORM's, so a field added to the model
    later needs no change here. A field may hold an expression (``RawSQL``) instead of a value:
    it is compiled into the statement, which lets a caller read a WITH clause it wraps this in.
    With ``ignore_conflicts`` a row that breaks a unique constraint is skipped (no row returned).
    """
    opts = obj._meta
    fields = [f for f in opts.local_concrete_fields if not f.generated and f is not opts.auto_field]
    query = InsertQuery(obj.__class__, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


def _json_value(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def adapt_value(value):
    """A parameter for raw SQL."""
    # Raw SQL skips the ORM's value preparation; datetimes are the one type that needs it.
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
