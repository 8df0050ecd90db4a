"""Reads of the attendant's three-pane workspace: my tickets, the queue I may take, the details.

The left pane is read on every refresh, so each list is one query over small sets (an attendant
holds a handful of tickets; the queue is cut at ``QUEUE_LIMIT``), with the last message, the
customer's unanswered messages and since when they wait computed by the database.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils.dateparse import parse_datetime

from bots.models import Contact, Message
from desk.models import (
    Attendant,
    ClosingTag,
    PauseReason,
    QuickReply,
    Team,
    Ticket,
    TicketStatus,
)

QUEUE_LIMIT = 30
HISTORY_LIMIT = 10


# The whole left pane in one statement: my open tickets, the first QUEUE_LIMIT tickets of the
# queue I may take (directed to me, or undirected in my teams) with how many the whole queue
# holds, and per ticket its last message, the last answer and the customer's messages since
# then. Window functions run alike on PostgreSQL and SQLite; the same reads through the ORM
# (six correlated subqueries per ticket, then window counts) cost more to compile than to run.
_LEFT_PANE_SQL = """
WITH queue AS (
    SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS place,
           SUM(CASE WHEN requested_attendant_id = %(me)s THEN 1 ELSE 0 END) OVER () AS directed,
           COUNT(*) OVER () AS total
    FROM desk_ticket
    WHERE status = %(waiting)s AND (
        requested_attendant_id = %(me)s
        OR (requested_attendant_id IS NULL
            AND team_id IN (SELECT team_id FROM desk_teammembership WHERE attendant_id = %(me)s))
    )
    ORDER BY created_at, id
    LIMIT %(limit)s
),
listed AS (
    SELECT id, 0 AS place, 0 AS directed, 0 AS total
    FROM desk_ticket WHERE attendant_id = %(me)s AND status = %(open)s
    UNION ALL
    SELECT id, place, directed, total FROM queue
),
m AS (
    SELECT tm.ticket_id, msg.text, msg.direction, msg.created_at,
           ROW_NUMBER() OVER (
               PARTITION BY tm.ticket_id ORDER BY msg.created_at DESC, msg.id DESC
           ) AS latest,
           MAX(CASE WHEN msg.direction = %(out)s THEN msg.created_at END)
               OVER (PARTITION BY tm.ticket_id) AS answered_at
    FROM listed JOIN desk_ticketmessage tm ON tm.ticket_id = listed.id {messages}
),
activity AS (
    SELECT ticket_id,
           MAX(CASE WHEN latest = 1 THEN text END) AS last_text,
           MAX(CASE WHEN latest = 1 THEN direction END) AS last_direction,
           MAX(created_at) AS last_at,
           MAX(answered_at) AS answered_at,
           SUM(CASE WHEN direction = %(in)s
                     AND (answered_at IS NULL OR created_at > answered_at)
               THEN 1 ELSE 0 END) AS unanswered,
           MIN(CASE WHEN direction = %(in)s
                     AND (answered_at IS NULL OR created_at > answered_at)
               THEN created_at END) AS waiting_since
    FROM m GROUP BY ticket_id
)
SELECT listed.place, listed.directed, listed.total,
       a.last_text, a.last_direction, a.last_at, a.answered_at, a.unanswered, a.waiting_since,
       {ticket}, {contact}, {team}
FROM listed
JOIN desk_ticket t ON t.id = listed.id
JOIN bots_contact c ON c.id = t.contact_id
JOIN desk_team tt ON tt.id = t.team_id
LEFT JOIN activity a ON a.ticket_id = listed.id
"""


# What the pane prints of a ticket, its contact and its team: the instances are built with these
# fields only (Model.from_db, which wants them in the model's order), any other one is read from
# the database if something asks for it.
def _fields(model, *names: str) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


_TICKET_FIELDS = _fields(
    Ticket, "id", "bot_id", "contact_id", "team_id", "requested_attendant_id", "attendant_id",
    "status", "created_at",
)  # fmt: skip
_CONTACT_FIELDS = _fields(Contact, "id", "name", "phone")
_TEAM_FIELDS = _fields(Team, "id", "name")
_CREATED_AT = _TICKET_FIELDS.index("created_at")
_CONTACT, _TEAM = Ticket._meta.get_field("contact"), Ticket._meta.get_field("team")


def _columns(alias: str, fields: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{field}" for field in fields)


def _instance(model, db: str, fields: tuple[str, ...], values) -> object:
    return model.from_db(db, list(fields), list(values))


# PostgreSQL reads each linked message by its key (OFFSET 0 keeps the lateral subquery from
# being flattened): joined plainly, a few hundred links looked cheaper as a scan of every message.
_PG_MESSAGES = (
    "CROSS JOIN LATERAL (SELECT id, text, direction, created_at FROM bots_message"
    " WHERE id = tm.message_id OFFSET 0) msg"
)
_PLAIN_MESSAGES = "JOIN bots_message msg ON msg.id = tm.message_id"


def _aware(value) -> dt.datetime | None:
    """A datetime from raw SQL: SQLite hands computed columns back as text, naive in UTC."""
    if value is None or (isinstance(value, dt.datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=dt.UTC)


def _answer_order(tickets: list[Ticket]) -> list[Ticket]:
    return sorted(
        tickets,
        key=lambda t: (t.waiting_since is None, t.waiting_since or t.last_at or t.created_at),
    )


def left_pane(*, attendant: Attendant) -> tuple[list[Ticket], list[Ticket], dict[str, int]]:
    """My open tickets (whoever waits longest for an answer first), the queue I may take
    (directed to me first, then my teams', oldest first) and what Attend a new customer would
    find there: how many wait for me by name, how many for my teams.

    Each ticket carries ``last_text``, ``last_direction``, ``last_at``, ``last_answer_at``,
    ``unanswered`` (the customer's messages since the last answer) and ``waiting_since``.
    One statement; the tickets, contacts and teams hold the fields the pane prints.
    """
    messages = _PG_MESSAGES if connection.vendor == "postgresql" else _PLAIN_MESSAGES
    params = {
        "me": attendant.pk,
        "waiting": TicketStatus.WAITING.value,
        "open": TicketStatus.OPEN.value,
        "limit": QUEUE_LIMIT,
        "out": Message.Direction.OUTBOUND.value,
        "in": Message.Direction.INBOUND.value,
    }
    sql = _LEFT_PANE_SQL.format(
        messages=messages,
        ticket=_columns("t", _TICKET_FIELDS),
        contact=_columns("c", _CONTACT_FIELDS),
        team=_columns("tt", _TEAM_FIELDS),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    mine, queue, counts = [], [], {"directed": 0, "teams": 0}
    ends = _cumulative(9, _TICKET_FIELDS, _CONTACT_FIELDS, _TEAM_FIELDS)
    db, teams = connection.alias, {}
    for row in rows:
        place, directed, total, text, direction, last_at, answered, unanswered, since = row[:9]
        values = list(row[ends[0] : ends[1]])
        values[_CREATED_AT] = _aware(values[_CREATED_AT])  # text on SQLite
        ticket = _instance(Ticket, db, _TICKET_FIELDS, values)
        contact = _instance(Contact, db, _CONTACT_FIELDS, row[ends[1] : ends[2]])
        team = row[ends[2] : ends[3]]
        if team[0] not in teams:  # a handful of teams for dozens of tickets: one object each
            teams[team[0]] = _instance(Team, db, _TEAM_FIELDS, team)
        # As select_related does: straight into the relation caches (the ids are the row's).
        _CONTACT.set_cached_value(ticket, contact)
        _TEAM.set_cached_value(ticket, teams[team[0]])
        ticket.last_text, ticket.last_direction = text, direction
        ticket.last_at, ticket.last_answer_at = _aware(last_at), _aware(answered)
        ticket.unanswered, ticket.waiting_since = int(unanswered or 0), _aware(since)
        if place:
            ticket.place = place
            queue.append(ticket)
            counts = {"directed": int(directed), "teams": int(total) - int(directed)}
        else:
            mine.append(ticket)
    queue.sort(key=lambda t: (t.requested_attendant_id is None, t.place))
    return _answer_order(mine), queue, counts


def _cumulative(start: int, *groups: tuple) -> list[int]:
    """Where each group of columns starts in a row, and where the last one ends."""
    ends = [start]
    for group in groups:
        ends.append(ends[-1] + len(group))
    return ends


def my_tickets(*, attendant: Attendant) -> list[Ticket]:
    """The attendant's open tickets, whoever waits longest for an answer first."""
    return left_pane(attendant=attendant)[0]


def queue_for(*, attendant: Attendant) -> list[Ticket]:
    """Waiting tickets the attendant may take: directed to them first, then their teams'."""
    return left_pane(attendant=attendant)[1]


def previous_tickets(*, ticket: Ticket, people: list[Attendant] | None = None) -> list[Ticket]:
    """The contact's other tickets, newest first, with their attendants (the panel names them).

    ``people``: the ticket's Desk's attendants (``desk_people``), when the caller read them:
    the attendants come from there instead of a join (those of other Desks in one read)."""
    tickets = Ticket.objects.filter(contact_id=ticket.contact_id).exclude(pk=ticket.pk)
    if people is None:
        tickets = tickets.select_related("attendant")
    tickets = list(tickets.order_by("-created_at", "-id")[:HISTORY_LIMIT])
    if people is not None:
        give_attendants(tickets, people)
    return tickets


def give_attendants(holders: list, people: list[Attendant]) -> None:
    """Set ``attendant`` on each of ``holders`` (tickets, ticket links) from ``people``, as
    select_related would; the ones not among them are read together, in one query."""
    by_id = {person.pk: person for person in people}
    missing = {h.attendant_id for h in holders} - by_id.keys() - {None}
    if missing:
        by_id.update(Attendant.objects.in_bulk(missing))
    for holder in holders:
        if holder.attendant_id is not None:
            holder.attendant = by_id[holder.attendant_id]


_PEOPLE = Attendant._meta.concrete_fields
_PEOPLE_TEMPLATE = """SELECT {columns} FROM {table} WHERE bot_id = %s ORDER BY name, email"""
_PEOPLE_SQL = _PEOPLE_TEMPLATE.format(
    columns=", ".join(f.column for f in _PEOPLE), table=Attendant._meta.db_table
)
_PEOPLE_TIMES = [i for i, f in enumerate(_PEOPLE) if f.get_internal_type() == "DateTimeField"]


def desk_people(*, bot_id: int) -> list[Attendant]:
    """Every attendant of a Desk, by name: the transfer list, and the people of its tickets.

    A written statement (every column, as the ORM reads them): the ticket page reads thirty
    attendants on each load, and compiling the read cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(_PEOPLE_SQL, [bot_id])
        rows = cursor.fetchall()
    names, db, people = [f.attname for f in _PEOPLE], connection.alias, []
    for row in rows:
        values = list(row)
        for i in _PEOPLE_TIMES:
            values[i] = _aware(values[i])  # naive (or text) on SQLite
        people.append(Attendant.from_db(db, names, values))
    return people


def attach_people(ticket: Ticket, people: list[Attendant]) -> None:
    """Give the ticket its attendant, the one it is directed to and the one it was meant for
    from ``people`` (its Desk's) instead of three joins; one from elsewhere is read as usual."""
    by_id = {person.pk: person for person in people}
    for name in ("attendant", "requested_attendant", "meant_for"):
        person = by_id.get(getattr(ticket, f"{name}_id"))
        if person is not None:
            setattr(ticket, name, person)


def transfer_choices(
    *,
    ticket: Ticket,
    me: Attendant | None,
    people: list[Attendant] | None = None,
    teams: list[Team] | None = None,
) -> tuple[list[Team], list[Attendant]]:
    """Teams and attendants of the ticket's Desk to hand it to; never the one handing it over.

    ``people``: the Desk's attendants (``desk_people``), ``teams`` its teams by name
    (``ticket_catalog``), when the caller read them already."""
    if teams is None:
        teams = list(Team.objects.filter(bot_id=ticket.bot_id).order_by("name"))
    if people is None:
        people = desk_people(bot_id=ticket.bot_id)
    exclude = {a.pk for a in (me, ticket.attendant) if a is not None}
    people = [person for person in people if person.pk not in exclude]
    labels = dict(Attendant.Status.choices)
    for person in people:  # what the option prints, worded once here: no filters per option
        person.status_label = labels.get(person.status, person.status)
        person.transfer_label = f"{person.name or person.email} ({person.status_label})"
    return teams, people


# The short per-bot lists the ticket page offers (teams to transfer to, the status picker's pause
# reasons, the tags to close with, the quick replies) in one statement, each list in the order its
# ORM read had: four small ORM reads cost more to compile than to run.
_CATALOG_SQL = """
SELECT 1, ROW_NUMBER() OVER (ORDER BY name, id), id, name, NULL
FROM {team} WHERE bot_id = %(bot)s
UNION ALL
SELECT 2, ROW_NUMBER() OVER (ORDER BY position, name, id), id, name, NULL
FROM {reason} WHERE bot_id = %(bot)s AND is_active
UNION ALL
SELECT 3, ROW_NUMBER() OVER (ORDER BY name, id), id, name, NULL
FROM {tag} WHERE bot_id = %(bot)s AND is_active
UNION ALL
SELECT 4, ROW_NUMBER() OVER (ORDER BY title, id), id, title, text
FROM {reply} WHERE bot_id = %(bot)s AND (team_id IS NULL OR team_id = %(team)s) AND 1 = %(replies)s
ORDER BY 1, 2
"""


@dataclass
class Catalog:
    """What ``ticket_catalog`` read: teams, pause reasons as (pk, name), closing tags, and the
    quick replies as (pk, title, raw text) rows, not filled in yet."""

    teams: list[Team]
    pause_reasons: list[tuple[int, str]]
    closing_tags: list[ClosingTag]
    quick_replies: list[tuple[int, str, str]]


def ticket_catalog(*, ticket: Ticket, replies: bool = True) -> Catalog:
    """The ticket's Desk lists (its bot's): see ``_CATALOG_SQL``. ``replies=False`` skips the
    quick replies (only the attendant holding the ticket gets them)."""
    sql = _CATALOG_SQL.format(
        team=Team._meta.db_table,
        reason=PauseReason._meta.db_table,
        tag=ClosingTag._meta.db_table,
        reply=QuickReply._meta.db_table,
    )
    params = {"bot": ticket.bot_id, "team": ticket.team_id, "replies": 1 if replies else 0}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    db, bot_id = connection.alias, ticket.bot_id
    catalog = Catalog([], [], [], [])
    for kind, _place, pk, name, text in rows:
        if kind == 1:
            catalog.teams.append(Team.from_db(db, ["id", "bot_id", "name"], [pk, bot_id, name]))
        elif kind == 2:
            catalog.pause_reasons.append((pk, name))
        elif kind == 3:
            fields = ["id", "bot_id", "name", "is_active"]
            catalog.closing_tags.append(ClosingTag.from_db(db, fields, [pk, bot_id, name, True]))
        else:
            catalog.quick_replies.append((pk, name, text))
    return catalog


# --- what other apps know about a contact ----------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Something that reached the contact from outside the Desk (a campaign), for the panel."""

    label: str
    at: dt.datetime
    detail: str = ""
    url: str = ""


_reach_providers: list[Callable[[Contact], list[Reach]]] = []


def register_reach_provider(provider: Callable[[Contact], list[Reach]]) -> None:
    """Campaigns (which the Desk must not import) register how to list what reached a contact."""
    if provider not in _reach_providers:
        _reach_providers.append(provider)


def reached_by(*, contact: Contact) -> list[Reach]:
    found = [reach for provider in _reach_providers for reach in provider(contact)]
    return sorted(found, key=lambda r: r.at, reverse=True)


# --- what other apps let an attendant do from the workspace ----------------------------------


@dataclass(frozen=True)
class AttendantAction:
    """A page of another app the attendant may open from the workspace (a Desk send).

    ``key`` names it for templates and tests; ``primary`` puts it first, as a button.
    """

    key: str
    label: str
    url: str
    primary: bool = False


ActionProvider = Callable[[Attendant, Contact | None], list[AttendantAction]]
_action_providers: list[ActionProvider] = []


def register_action_provider(provider: ActionProvider) -> None:
    """Campaigns (which the Desk must not import) register what an attendant may open there:
    ``provider(attendant, contact)`` returns the actions for the workspace, or for one contact.
    """
    if provider not in _action_providers:
        _action_providers.append(provider)


def attendant_actions(*, attendant: Attendant | None, contact: Contact | None = None) -> list:
    if attendant is None:
        return []
    return [action for p in _action_providers for action in p(attendant, contact)]
