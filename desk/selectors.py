"""Reads of the Desk: who is an attendant where, queues, tickets and conversations."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from bots.access import family_ids, has_role
from bots.models import Bot, BotMembership, Contact, Message
from desk.absence import absences_on
from desk.assignment import desk_settings_for
from desk.models import (
    ACTIVE_TICKET_STATUSES,
    Attendant,
    ClosingTag,
    PauseReason,
    Team,
    Ticket,
    TicketStatus,
)
from desk.quick_replies import quick_replies_for

CONVERSATION_LIMIT = 200


def desk_bot_ids(bot: Bot) -> list[int]:
    """The bots whose Desks live under a top-level bot: itself and its sub-bots."""
    return family_ids(bot)


def attendants_of_user(*, user, bot: Bot) -> QuerySet[Attendant]:
    if not user.is_authenticated:
        return Attendant.objects.none()
    return (
        Attendant.objects.filter(user=user, bot_id__in=desk_bot_ids(bot))
        .select_related("bot__router", "pause_reason")
        .order_by("bot__slug", "id")
    )


def is_supervisor(*, user, bot: Bot) -> bool:
    """Bot administrators (and superusers) supervise every Desk of the bot."""
    return has_role(user, bot, [BotMembership.Role.ADMIN])


def open_tickets_of(*, attendant: Attendant) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(attendant=attendant, status=TicketStatus.OPEN)
        .select_related("contact", "team")
        .order_by("opened_at", "id")
    )


def visible_ticket(
    *, user, bot: Bot, pk: int, attendants: list[Attendant] | None = None
) -> Ticket | None:
    """A ticket of the bot's Desks the user may open: supervisors all, attendants their own.

    ``attendants``: the user's attendant profiles when the caller has them already; the ticket is
    then read alone and checked against them (fewer joins for PostgreSQL to plan).
    """
    tickets = Ticket.objects.filter(pk=pk, bot_id__in=desk_bot_ids(bot)).select_related(
        "contact", "team", "attendant", "requested_attendant", "meant_for", "bot"
    )
    if is_supervisor(user=user, bot=bot):
        return tickets.first()
    if attendants is not None:
        mine = {a.pk for a in attendants}
        ticket = tickets.first() if mine else None
        if ticket and (ticket.attendant_id in mine or ticket.requested_attendant_id in mine):
            return ticket
        return None
    mine = attendants_of_user(user=user, bot=bot)
    return tickets.filter(Q(attendant__in=mine) | Q(requested_attendant__in=mine)).first()


def conversation(
    *, contact: Contact, limit: int = CONVERSATION_LIMIT, routing: bool = True
) -> list[Message]:
    """The contact's latest messages on the channel, oldest first, with who answered.

    ``routing=False`` for pages that do not show where each message was routed (the ticket's).
    """
    related = ["ticket_link__attendant", "routing"] if routing else ["ticket_link__attendant"]
    latest = (
        Message.objects.filter(contact=contact)
        .select_related(*related)
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(latest))


def transfer_targets(*, ticket: Ticket) -> tuple[QuerySet[Team], QuerySet[Attendant]]:
    teams = Team.objects.filter(bot_id=ticket.bot_id).order_by("name")
    attendants = Attendant.objects.filter(bot_id=ticket.bot_id).order_by("email")
    return teams, attendants


BOARD_TICKETS_PER_TEAM = 20


@dataclass
class Queue:
    """One team on the supervisor board: how many wait, since when, the first of them."""

    team: Team
    count: int = 0
    open: int = 0
    oldest: dt.datetime | None = None
    tickets: list = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.tickets)


def supervisor_overview(*, bot: Bot, team_id: int | None = None) -> dict:
    """Per team: waiting count, longest wait, the first waiting tickets (directed ones first).

    Per attendant: status with pause reason and since when, load against slots, customers left
    unanswered (R24's flag) and absence today. ``team_id`` narrows both to one team.
    """
    bot_ids = desk_bot_ids(bot)
    teams = Team.objects.filter(bot_id__in=bot_ids).select_related("bot__router")
    if team_id is not None:
        teams = teams.filter(pk=team_id)
    waiting = Ticket.objects.filter(team__in=teams, status=TicketStatus.WAITING)
    queues = {t.pk: Queue(team=t) for t in teams.order_by("bot__slug", "name")}
    for row in waiting.values("team_id").annotate(n=Count("id"), oldest=Min("created_at")):
        queues[row["team_id"]].count, queues[row["team_id"]].oldest = row["n"], row["oldest"]
    attended = Ticket.objects.filter(team__in=teams, status=TicketStatus.OPEN)
    for row in attended.values("team_id").annotate(n=Count("id")):
        queues[row["team_id"]].open = row["n"]
    # The first waiting tickets of every team, directed ones first, as they are for their
    # attendant (R13): ranked on the waiting tickets alone, then the few that made it read by
    # their keys with their contacts (joining the contacts before ranking walked all of them).
    ranked = waiting.annotate(
        place=Window(
            RowNumber(),
            partition_by=F("team_id"),
            order_by=[F("requested_attendant").asc(nulls_last=True), "created_at", "id"],
        )
    ).filter(place__lte=BOARD_TICKETS_PER_TEAM)
    first = Ticket.objects.filter(pk__in=list(ranked.values_list("pk", flat=True))).select_related(
        "contact", "requested_attendant", "bot"
    )
    for ticket in sorted(first, key=_board_order):
        queues[ticket.team_id].tickets.append(ticket)
    people = Attendant.objects.filter(bot_id__in=bot_ids)
    if team_id is not None:
        people = people.filter(teams__in=teams)
    # Counted over the open tickets only (a partial index): closed history does not slow it.
    open_ = Ticket.objects.filter(attendant=OuterRef("pk"), status=TicketStatus.OPEN).order_by()
    attendants = list(
        people.select_related("bot__router", "pause_reason")
        .annotate(
            open_count=_count_of(open_),
            unanswered=_count_of(open_.filter(unanswered_flagged_at__isnull=False)),
        )
        .order_by("bot__slug", "email")
    )
    away = absences_on(attendants=attendants, day=timezone.localdate())
    for attendant in attendants:
        attendant.absence_today = away.get(attendant.pk)
    return {
        "queues": list(queues.values()),
        "attendants": attendants,
        "waiting_total": sum(q.count for q in queues.values()),
    }


def _board_order(ticket: Ticket) -> tuple:
    """The board's order within a team: directed first (by attendant), then the oldest."""
    directed = ticket.requested_attendant_id
    return (directed is None, directed or 0, ticket.created_at, ticket.pk)


def _count_of(tickets: QuerySet[Ticket]):
    """How many ``tickets`` (a queryset over ``OuterRef``), as a subquery: 0 when none."""
    counted = tickets.values("attendant").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def board_teams(*, bot: Bot) -> QuerySet[Team]:
    """The teams the board can be narrowed to."""
    return (
        Team.objects.filter(bot_id__in=desk_bot_ids(bot))
        .select_related("bot__router")
        .order_by("bot__slug", "name")
    )


def contact_of(*, bot: Bot, phone: str) -> Contact | None:
    return Contact.objects.filter(bot=bot.top_level, phone=phone).first()


def active_ticket_of(*, contact: Contact) -> Ticket | None:
    return Ticket.objects.filter(contact=contact, status__in=ACTIVE_TICKET_STATUSES).first()


def status_choices(*, attendant: Attendant) -> list[tuple[str, str]]:
    """What the status picker offers: a Pause per active reason of the bot (Blip's pauses)."""
    # One bot's reasons: ordered as the model orders them, without joining the bot for its slug.
    reasons = PauseReason.objects.filter(bot_id=attendant.bot_id, is_active=True).order_by(
        "position", "name"
    )
    status = Attendant.Status
    pauses = [(f"pause:{r.pk}", f"{status.PAUSE.label} — {r.name}") for r in reasons]
    return [
        (status.ONLINE, status.ONLINE.label),
        *(pauses or [(status.PAUSE, status.PAUSE.label)]),
        (status.INVISIBLE, status.INVISIBLE.label),
        (status.OFFLINE, status.OFFLINE.label),
    ]


def status_value(*, attendant: Attendant) -> str:
    if attendant.status == Attendant.Status.PAUSE and attendant.pause_reason_id:
        return f"pause:{attendant.pause_reason_id}"
    return attendant.status


def pause_reason_of(*, attendant: Attendant, pk: str) -> PauseReason | None:
    if not pk.isdigit():
        return None
    return PauseReason.objects.filter(pk=pk, bot_id=attendant.bot_id, is_active=True).first()


def closing_tags_of(*, ticket: Ticket, ids) -> list:
    """The chosen closing tags of the ticket's bot; foreign or malformed ids are dropped."""
    ids = [i for i in ids if str(i).isdigit()]
    return list(ClosingTag.objects.filter(bot_id=ticket.bot_id, is_active=True, pk__in=ids))


def ticket_tools(*, ticket: Ticket, mine: bool, is_supervisor: bool, settings=None) -> dict:
    """What the ticket's tools show: tags to close with, notes, quick replies, hold.

    ``settings``: the Desk settings of the ticket's bot when the caller read them already.
    """
    settings = settings or desk_settings_for(bot_id=ticket.bot_id)
    return {
        "closing_tags": ClosingTag.objects.filter(bot_id=ticket.bot_id, is_active=True).order_by(
            "name"
        ),
        "closing_tag_required": settings.closing_tag_required,
        "ticket_tags": list(ticket.tags.all()) if not ticket.is_active else [],
        "notes": list(ticket.notes.select_related("author")),
        "can_note": mine or is_supervisor,
        "quick_replies": quick_replies_for(ticket=ticket) if mine else [],
        "can_hold": ticket.status == TicketStatus.OPEN and (mine or is_supervisor),
        "inactivity_on": bool(settings.inactivity_warning_minutes),
    }


def ticket_attendant_email(*, ticket_id: int) -> str:
    """The e-mail of the attendant holding the ticket ("" while nobody does)."""
    email = Ticket.objects.filter(pk=ticket_id).values_list("attendant__email", flat=True).first()
    return email or ""
