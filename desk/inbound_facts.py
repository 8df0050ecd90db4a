"""The one read of an inbound message: its contact (R18), state, open ticket and live directive.

One statement, each part on an index whatever the size of the data: the contact by (bot, phone)
or (bot, identity), its state and block by their keys, the open ticket and the live directive by
their one-per-contact indexes, the directive's attendant's team by membership — plus the
top-level bot's ``cache_version``, which keys the cached rules and policy (``desk.inbound_config``).
The bot's row leads the join, so the version comes back even when no contact matches. It runs
unchanged on PostgreSQL and SQLite; the database's values pass through the fields' converters.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import connection

from bots.models import Bot, Contact, ContactState, FlowBlock
from desk.models import (
    ACTIVE_TICKET_STATUSES,
    DEFAULT_TEAM_NAME,
    Attendant,
    ReplyDirective,
    Team,
    TeamMembership,
    Ticket,
)


@dataclass(frozen=True)
class StateFacts:
    bot_id: int
    block_pk: int | None  # the FlowBlock row
    block_id: str | None  # its id in the flow ("desk:atendimento")
    is_human: bool


@dataclass(frozen=True)
class DirectiveFacts:
    id: int
    bot_id: int
    team_id: int | None
    attendant_id: int | None
    meant_for_id: int | None
    fallback_minutes: int | None
    source_label: str
    valid_until: dt.datetime
    attendant_email: str
    team_name: str
    meant_for_email: str
    attendant_team_id: int | None  # one of the attendant's teams, Default only if the only one


@dataclass(frozen=True)
class ContactFacts:
    contact: Contact
    state: StateFacts | None
    open_ticket_id: int | None
    directive: DirectiveFacts | None


@dataclass(frozen=True)
class Facts:
    cache_version: int
    candidates: tuple[ContactFacts, ...]  # one per row that may be the person (R18), by id


_CONTACT_FIELDS = list(Contact._meta.concrete_fields)
_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_TICKET_STATUSES)


def _one(table: str, column: str, key: str) -> str:
    return f"(SELECT x.{column} FROM {table} x WHERE x.id = {key})"  # noqa: S608 - our names


# Rows reached by primary key are read by scalar subqueries, not joins: the result is the same
# and the planner, which would weigh every order of eight joined tables, plans it in half the
# time (about 0.5 ms of 1 ms per message on the bench machine; running it takes 0.1 ms).
_COLUMNS = [
    ("b.cache_version", Bot._meta.get_field("cache_version")),
    *((f"c.{f.column}", f) for f in _CONTACT_FIELDS),
    ("s.bot_id", ContactState._meta.get_field("bot")),
    ("s.block_id", ContactState._meta.get_field("block")),
    (_one("bots_flowblock", "block_id", "s.block_id"), FlowBlock._meta.get_field("block_id")),
    (_one("bots_flowblock", "kind", "s.block_id"), FlowBlock._meta.get_field("kind")),
    # A lookup per contact row, not a join: with a join the planner may merge against every
    # open ticket of the database (seen at 1M contacts when the statistics predate the tickets).
    (
        f"(SELECT t.id FROM desk_ticket t WHERE t.contact_id = c.id AND t.status IN ({_ACTIVE})"  # noqa: S608
        " LIMIT 1)",
        Ticket._meta.pk,
    ),
    *(
        (f"d.{name}", ReplyDirective._meta.get_field(field))
        for name, field in (
            ("id", "id"),
            ("bot_id", "bot"),
            ("team_id", "team"),
            ("attendant_id", "attendant"),
            ("meant_for_id", "meant_for"),
            ("fallback_minutes", "fallback_minutes"),
            ("source_label", "source_label"),
            ("valid_until", "valid_until"),
        )
    ),
    (_one("desk_attendant", "email", "d.attendant_id"), Attendant._meta.get_field("email")),
    (_one("desk_team", "name", "d.team_id"), Team._meta.get_field("name")),
    (_one("desk_attendant", "email", "d.meant_for_id"), Attendant._meta.get_field("email")),
    (
        "(SELECT m.team_id FROM desk_teammembership m JOIN desk_team mt ON mt.id = m.team_id"
        " WHERE m.attendant_id = d.attendant_id"
        " ORDER BY CASE WHEN mt.name = %s THEN 1 ELSE 0 END, m.team_id LIMIT 1)",
        TeamMembership._meta.get_field("team"),
    ),
]
_SQL = (
    "SELECT " + ", ".join(sql for sql, _field in _COLUMNS) + " FROM bots_bot b"  # noqa: S608
    " LEFT JOIN bots_contact c ON c.bot_id = b.id AND ({contact})"
    " LEFT JOIN bots_contactstate s ON s.contact_id = c.id"
    " LEFT JOIN desk_replydirective d ON d.contact_id = c.id AND NOT d.superseded"
    " WHERE b.id = %s ORDER BY c.id"
)


def facts_read(
    *,
    bot: Bot,
    phones: tuple[str, ...] = (),
    identity: str = "",
    contact_id: int | None = None,
) -> Facts:
    """The facts of the contacts of top-level ``bot`` with one of ``phones`` or ``identity``
    (or of ``contact_id``): a handful of rows at most, never a scan."""
    if contact_id is not None:
        where, params = "c.id = %s", [contact_id]
    else:
        where = "c.phone IN (" + ", ".join(["%s"] * len(phones)) + ")"
        params = list(phones)
        if identity:
            where = f"({where} OR c.whatsapp_identity = %s)"
            params.append(identity)
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(contact=where), [DEFAULT_TEAM_NAME, *params, bot.pk])
        rows = [_convert(row) for row in cursor.fetchall()]
    if not rows:
        raise Bot.DoesNotExist(f"bot {bot.pk} is gone")
    return Facts(
        cache_version=rows[0][0],
        candidates=tuple(_candidate(row) for row in rows if row[1] is not None),
    )


@functools.cache
def _converters(vendor: str) -> list[tuple[list, object]]:
    """Per column: the backend's and the field's converters (what the ORM applies to a row)."""
    out = []
    for _sql, field in _COLUMNS:
        column = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        out.append((found, column))
    return out


def _convert(row) -> list:
    values = list(row)
    for i, (converters, column) in enumerate(_converters(connection.vendor)):
        for convert in converters:
            values[i] = convert(values[i], column, connection)
    return values


def _candidate(row: list) -> ContactFacts:
    n = len(_CONTACT_FIELDS)
    contact = Contact.from_db(
        connection.alias, [f.attname for f in _CONTACT_FIELDS], row[1 : 1 + n]
    )
    (state_bot, block_pk, block_id, kind, ticket_id, d_id, d_bot, d_team, d_attendant) = row[
        1 + n : 10 + n
    ]
    (meant_for, fallback, label, until, a_email, team_name, mf_email, a_team) = row[10 + n :]
    state = None
    if state_bot is not None:
        human = kind == FlowBlock.Kind.HUMAN
        state = StateFacts(state_bot, block_pk, block_id, human)
    directive = None
    if d_id is not None:
        directive = DirectiveFacts(
            d_id,
            d_bot,
            d_team,
            d_attendant,
            meant_for,
            fallback,
            label,
            until,
            a_email or "",
            team_name or "",
            mf_email or "",
            a_team,
        )
    return ContactFacts(contact, state, ticket_id, directive)
