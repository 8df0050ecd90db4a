"""Reads of the attendant's three-pane workspace: my tickets, the queue I may take, the details.

The left pane is read on every refresh, so each list is one query over small sets (an attendant
holds a handful of tickets; the queue is cut at ``QUEUE_LIMIT``), with the last message, the
customer's unanswered messages and since when they wait computed by the database.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from bots.models import Contact, Message
from desk.models import Attendant, Team, Ticket, TicketStatus

QUEUE_LIMIT = 30
HISTORY_LIMIT = 10
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _with_activity(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate the last message and the customer's messages since the last answer."""
    messages = Message.objects.filter(ticket_link__ticket=OuterRef("pk"))
    latest = messages.order_by("-created_at", "-id")
    last_out = messages.filter(direction=Message.Direction.OUTBOUND).order_by("-created_at", "-id")
    unanswered = Message.objects.filter(
        ticket_link__ticket=OuterRef("pk"),
        direction=Message.Direction.INBOUND,
        created_at__gt=Coalesce(OuterRef("last_answer_at"), Value(_EPOCH)),
    )
    count = unanswered.order_by().values("ticket_link__ticket").annotate(n=Count("id")).values("n")
    return tickets.annotate(
        last_text=Subquery(latest.values("text")[:1]),
        last_direction=Subquery(latest.values("direction")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
        last_answer_at=Subquery(last_out.values("created_at")[:1]),
    ).annotate(
        unanswered=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        waiting_since=Subquery(unanswered.order_by("created_at", "id").values("created_at")[:1]),
    )


def my_tickets(*, attendant: Attendant) -> list[Ticket]:
    """The attendant's open tickets, whoever waits longest for an answer first."""
    tickets = _with_activity(
        Ticket.objects.filter(attendant=attendant, status=TicketStatus.OPEN).select_related(
            "contact", "team"
        )
    )
    return sorted(
        tickets,
        key=lambda t: (t.waiting_since is None, t.waiting_since or t.last_at or t.created_at),
    )


def queue_for(*, attendant: Attendant) -> list[Ticket]:
    """Waiting tickets the attendant may take: directed to them first, then their teams'."""
    teams = Team.objects.filter(attendants=attendant)
    waiting = Ticket.objects.filter(status=TicketStatus.WAITING).filter(
        Q(requested_attendant=attendant) | Q(requested_attendant__isnull=True, team__in=teams)
    )
    tickets = _with_activity(waiting.select_related("contact", "team")).order_by(
        "created_at", "id"
    )[:QUEUE_LIMIT]
    return sorted(tickets, key=lambda t: t.requested_attendant_id is None)


def previous_tickets(*, ticket: Ticket) -> list[Ticket]:
    return list(
        Ticket.objects.filter(contact_id=ticket.contact_id)
        .exclude(pk=ticket.pk)
        .select_related("attendant", "team", "bot")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )


def transfer_choices(*, ticket: Ticket, me: Attendant | None) -> tuple[list[Team], list[Attendant]]:
    """Teams and attendants of the ticket's Desk to hand it to; never the one handing it over."""
    teams = list(Team.objects.filter(bot_id=ticket.bot_id).order_by("name"))
    people = Attendant.objects.filter(bot_id=ticket.bot_id).order_by("name", "email")
    exclude = {a.pk for a in (me, ticket.attendant) if a is not None}
    return teams, list(people.exclude(pk__in=exclude))


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
