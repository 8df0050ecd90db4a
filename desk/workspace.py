"""Reads of the attendant's three-pane workspace: my tickets, the queue I may take, the details.

The left pane is read on every refresh, so each list is one query over small sets (an attendant
holds a handful of tickets; the queue is cut at ``QUEUE_LIMIT``), with the last message, the
customer's unanswered messages and since when they wait computed by the database.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q, Window
from django.utils.dateparse import parse_datetime

from bots.models import Contact, Message
from desk.models import Attendant, Team, Ticket, TicketStatus

QUEUE_LIMIT = 30
HISTORY_LIMIT = 10


# One statement for the activity of every listed ticket (the left pane shows up to
# QUEUE_LIMIT + an attendant's slots): per ticket its last message, the last answer, and the
# customer's messages since then. Window functions run alike on PostgreSQL and SQLite; six
# correlated subqueries per ticket cost more to compile in the ORM than to run.
_ACTIVITY_SQL = """
WITH m AS (
    SELECT tm.ticket_id, msg.text, msg.direction, msg.created_at,
           ROW_NUMBER() OVER (
               PARTITION BY tm.ticket_id ORDER BY msg.created_at DESC, msg.id DESC
           ) AS place,
           MAX(CASE WHEN msg.direction = %s THEN msg.created_at END)
               OVER (PARTITION BY tm.ticket_id) AS answered_at
    FROM desk_ticketmessage tm {join}
    WHERE tm.ticket_id {ids}
)
SELECT ticket_id,
       MAX(CASE WHEN place = 1 THEN text END),
       MAX(CASE WHEN place = 1 THEN direction END),
       MAX(created_at),
       MAX(answered_at),
       SUM(CASE WHEN direction = %s AND (answered_at IS NULL OR created_at > answered_at)
           THEN 1 ELSE 0 END),
       MIN(CASE WHEN direction = %s AND (answered_at IS NULL OR created_at > answered_at)
           THEN created_at END)
FROM m GROUP BY ticket_id
"""
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


def attach_activity(tickets: list[Ticket]) -> list[Ticket]:
    """Set ``last_text``, ``last_direction``, ``last_at``, ``last_answer_at``, ``unanswered``
    (the customer's messages since the last answer) and ``waiting_since`` on each ticket."""
    by_id = {t.pk: t for t in tickets}
    for ticket in tickets:
        ticket.last_text = ticket.last_direction = ticket.last_at = None
        ticket.last_answer_at = ticket.waiting_since = None
        ticket.unanswered = 0
    if not by_id:
        return tickets
    out, inbound = Message.Direction.OUTBOUND.value, Message.Direction.INBOUND.value
    if connection.vendor == "postgresql":
        sql = _ACTIVITY_SQL.format(join=_PG_MESSAGES, ids="= ANY(%s::bigint[])")
        params = [out, list(by_id), inbound, inbound]
    else:
        marks = ", ".join(["%s"] * len(by_id))
        sql = _ACTIVITY_SQL.format(join=_PLAIN_MESSAGES, ids=f"IN ({marks})")
        params = [out, *by_id, inbound, inbound]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for pk, text, direction, last_at, answered_at, unanswered, waiting_since in rows:
        ticket = by_id[pk]
        ticket.last_text, ticket.last_direction = text, direction
        ticket.last_at, ticket.last_answer_at = _aware(last_at), _aware(answered_at)
        ticket.unanswered, ticket.waiting_since = int(unanswered or 0), _aware(waiting_since)
    return tickets


def _open_of(attendant: Attendant) -> list[Ticket]:
    return list(
        Ticket.objects.filter(attendant=attendant, status=TicketStatus.OPEN).select_related(
            "contact", "team"
        )
    )


def _answer_order(tickets: list[Ticket]) -> list[Ticket]:
    return sorted(
        tickets,
        key=lambda t: (t.waiting_since is None, t.waiting_since or t.last_at or t.created_at),
    )


def _waiting_for(attendant: Attendant) -> list[Ticket]:
    """The queue, each row with ``directed_total`` and ``teams_total``: how many of the whole
    queue (not only the rows read) wait for the attendant by name and for their teams."""
    teams = Team.objects.filter(attendants=attendant)
    waiting = Ticket.objects.filter(status=TicketStatus.WAITING).filter(
        Q(requested_attendant=attendant) | Q(requested_attendant__isnull=True, team__in=teams)
    )
    tickets = (
        waiting.select_related("contact", "team")
        .annotate(
            directed_total=Window(Count("id", filter=Q(requested_attendant=attendant))),
            teams_total=Window(Count("id", filter=Q(requested_attendant__isnull=True))),
        )
        .order_by("created_at", "id")
    )
    return sorted(tickets[:QUEUE_LIMIT], key=lambda t: t.requested_attendant_id is None)


def my_tickets(*, attendant: Attendant) -> list[Ticket]:
    """The attendant's open tickets, whoever waits longest for an answer first."""
    return _answer_order(attach_activity(_open_of(attendant)))


def queue_for(*, attendant: Attendant) -> list[Ticket]:
    """Waiting tickets the attendant may take: directed to them first, then their teams'."""
    return attach_activity(_waiting_for(attendant))


def left_pane(*, attendant: Attendant) -> tuple[list[Ticket], list[Ticket], dict[str, int]]:
    """``my_tickets`` and ``queue_for`` with their activity read in one statement, and what
    Attend a new customer would find: tickets directed to the attendant, then their teams'."""
    mine, queue = _open_of(attendant), _waiting_for(attendant)
    attach_activity(mine + queue)
    first = queue[0] if queue else None
    counts = {
        "directed": first.directed_total if first else 0,
        "teams": first.teams_total if first else 0,
    }
    return _answer_order(mine), queue, counts


def previous_tickets(*, ticket: Ticket) -> list[Ticket]:
    return list(
        Ticket.objects.filter(contact_id=ticket.contact_id)
        .exclude(pk=ticket.pk)
        .select_related("attendant")  # what the panel shows of them
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )


def transfer_choices(*, ticket: Ticket, me: Attendant | None) -> tuple[list[Team], list[Attendant]]:
    """Teams and attendants of the ticket's Desk to hand it to; never the one handing it over."""
    teams = list(Team.objects.filter(bot_id=ticket.bot_id).order_by("name"))
    people = Attendant.objects.filter(bot_id=ticket.bot_id).order_by("name", "email")
    exclude = {a.pk for a in (me, ticket.attendant) if a is not None}
    people = list(people.exclude(pk__in=exclude))
    labels = dict(Attendant.Status.choices)
    for person in people:  # read by the template once per attendant: no get_status_display
        person.status_label = labels.get(person.status, person.status)
    return teams, people


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
