"""Reads of the Desk: who is an attendant where, queues, tickets and conversations."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Count,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from bots.access import family_ids, has_role
from bots.labels import label_of
from bots.models import Bot, BotMembership, Contact, Message
from bots.phones import format_phone
from bots.templatetags.portal_format import waited
from bots.url_keys import url_for_key
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
from desk.quick_replies import filled_for, quick_replies_for
from desk.workspace import give_attendants

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


TICKET_RELATED = ("contact", "team", "attendant", "requested_attendant", "meant_for", "bot")


def visible_ticket(
    *,
    user,
    bot: Bot,
    pk: int,
    attendants: list[Attendant] | None = None,
    related: tuple[str, ...] = TICKET_RELATED,
) -> Ticket | None:
    """A ticket of the bot's Desks the user may open: supervisors all, attendants their own.

    ``attendants``: the user's attendant profiles when the caller has them already; the ticket is
    then read alone and checked against them (fewer joins for PostgreSQL to plan). ``related``:
    what to read with it, when the caller finds some of it elsewhere.
    """
    tickets = Ticket.objects.filter(pk=pk, bot_id__in=desk_bot_ids(bot)).select_related(*related)
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
    *,
    contact: Contact,
    limit: int = CONVERSATION_LIMIT,
    routing: bool = True,
    people: list[Attendant] | None = None,
) -> list[Message]:
    """The contact's latest messages on the channel, oldest first, with who answered.

    ``routing=False`` for pages that do not show where each message was routed (the ticket's).
    ``people``: the Desk's attendants when the caller read them (``workspace.desk_people``):
    who answered comes from there instead of a join.
    """
    link = "ticket_link" if people is not None else "ticket_link__attendant"
    related = [link, "routing"] if routing else [link]
    latest = (
        Message.objects.filter(contact=contact)
        .select_related(*related)
        .order_by("-created_at", "-id")[:limit]
    )
    history = list(reversed(latest))
    if people is not None:  # a message without a link raises an AttributeError: none
        links = [getattr(m, "ticket_link", None) for m in history]
        give_attendants([link for link in links if link is not None], people)
    # What each bubble prints of its time and status (``desk/_conversation.html``), computed
    # here once: the ``date`` filter and get_status_display cost several times more per bubble.
    labels = dict(Message.Status.choices)
    for message in history:
        message.at_label = dateformat.format(timezone.localtime(message.created_at), "d/m H:i")
        message.status_label = labels.get(message.status, message.status)
    return history


def transfer_targets(*, ticket: Ticket) -> tuple[QuerySet[Team], QuerySet[Attendant]]:
    teams = Team.objects.filter(bot_id=ticket.bot_id).order_by("name")
    attendants = Attendant.objects.filter(bot_id=ticket.bot_id).order_by("email")
    return teams, attendants


BOARD_TICKETS_PER_TEAM = 20


@dataclass
class BoardLine:
    """A waiting ticket as its line on the board shows it, read as plain values (a hundred lines
    every four seconds: three model instances each cost more than the rest of the board's
    reads) and worded once here rather than by a dozen tags and filters per line."""

    pk: int
    sequence: int
    team_id: int
    created_at: dt.datetime
    requested_attendant_id: int | None
    url: str  # the ticket's page
    who: str  # the contact's name, else the phone as people write it (``person``)
    phone: str | None  # the phone beside a name; None when ``who`` is the phone
    for_whom: str  # "for <attendant> · <status>" when directed, else ""
    for_online: bool  # whether that attendant is online
    waiting: str  # "waiting for <wait>"


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
    unanswered (R24's flag) and absence today. ``team_id`` narrows both to one team;
    ``board_teams`` are all of them, for the page's team filter (read once for both).
    """
    bot_ids = desk_bot_ids(bot)
    all_teams = list(board_teams(bot=bot))
    teams = [t for t in all_teams if team_id is None or t.pk == team_id]
    team_ids = [t.pk for t in teams]
    waiting = Ticket.objects.filter(team_id__in=team_ids, status=TicketStatus.WAITING)
    queues = {t.pk: Queue(team=t) for t in teams}
    # Waiting and in attendance counted in one pass over the active tickets (their partial
    # index), not one statement each.
    is_waiting, is_open = Q(status=TicketStatus.WAITING), Q(status=TicketStatus.OPEN)
    active = Ticket.objects.filter(team_id__in=team_ids, status__in=ACTIVE_TICKET_STATUSES)
    for row in active.values("team_id").annotate(
        n=Count("id", filter=is_waiting),
        oldest=Min("created_at", filter=is_waiting),
        attended=Count("id", filter=is_open),
    ):
        queue = queues[row["team_id"]]
        queue.count, queue.oldest, queue.open = row["n"], row["oldest"], row["attended"]
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
    first = Ticket.objects.filter(pk__in=list(ranked.values_list("pk", flat=True)))
    lines = _board_lines(first, bot_slug=bot.slug)
    for line in sorted(lines, key=_board_order):
        queues[line.team_id].tickets.append(line)
    people = Attendant.objects.filter(bot_id__in=bot_ids)
    if team_id is not None:
        people = people.filter(teams__in=team_ids)
    attendants = list(
        people.select_related("bot__router", "pause_reason")
        .annotate(open_count=_open_tickets(), unanswered=_open_tickets(flagged=True))
        .order_by("bot__slug", "email")
    )
    away = absences_on(attendants=attendants, day=timezone.localdate())
    for attendant in attendants:
        attendant.absence_today = away.get(attendant.pk)
        attendant.status_label = label_of(Attendant.Status, attendant.status)
    return {
        "queues": list(queues.values()),
        "attendants": attendants,
        "waiting_total": sum(q.count for q in queues.values()),
        "board_teams": all_teams,
    }


def _board_lines(tickets: QuerySet[Ticket], *, bot_slug: str) -> list[BoardLine]:
    url = url_for_key("desk:ticket", bot_slug)
    status_label = dict(Attendant.Status.choices)
    lines = []
    for pk, sequence, team_id, created_at, wanted_id, name, phone, *wanted in tickets.values_list(
        "pk",
        "sequence",
        "team_id",
        "created_at",
        "requested_attendant_id",
        "contact__name",
        "contact__phone",
        "requested_attendant__name",
        "requested_attendant__email",
        "requested_attendant__status",
    ):
        wanted_name, wanted_email, wanted_status = wanted
        lines.append(
            BoardLine(
                pk=pk,
                sequence=sequence,
                team_id=team_id,
                created_at=created_at,
                requested_attendant_id=wanted_id,
                url=url(pk),
                who=name or format_phone(phone or ""),
                phone=format_phone(phone or "") if name else None,
                for_whom=(
                    f"{_('for %(who)s') % {'who': wanted_name or wanted_email}}"
                    f" · {status_label.get(wanted_status, wanted_status)}"
                    if wanted_id is not None
                    else ""
                ),
                for_online=wanted_status == Attendant.Status.ONLINE,
                waiting=_("waiting for %(since)s") % {"since": waited(created_at)},
            )
        )
    return lines


def _board_order(line: BoardLine) -> tuple:
    """The board's order within a team: directed first (by attendant), then the oldest."""
    directed = line.requested_attendant_id
    return (directed is None, directed or 0, line.created_at, line.pk)


def _open_tickets(*, flagged: bool = False) -> RawSQL:
    """How many open tickets each attendant holds (``flagged``: left unanswered, R24's flag),
    as a correlated COUNT over the open tickets' partial index: closed history does not slow it.

    Written out rather than ``Subquery(values().annotate(Count()))``: the ORM took ~0.7 ms to
    compile each of the two, on every board refresh (every four seconds per supervisor)."""
    # Only the models' own table names go into the text; the status is a parameter.
    ticket = connection.ops.quote_name(Ticket._meta.db_table)
    attendant = connection.ops.quote_name(Attendant._meta.db_table)
    sql = (
        f"SELECT COUNT(*) FROM {ticket} WHERE {ticket}.attendant_id = {attendant}.id"  # noqa: S608
        f" AND {ticket}.status = %s"
    )
    if flagged:
        sql += f" AND {ticket}.unanswered_flagged_at IS NOT NULL"
    return RawSQL(sql, [TicketStatus.OPEN.value], output_field=IntegerField())  # noqa: S611


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


def status_choices(
    *, attendant: Attendant, reasons: list[tuple[int, str]] | None = None
) -> list[tuple[str, str]]:
    """What the status picker offers: a Pause per active reason of the bot (Blip's pauses).

    ``reasons``: the bot's active reasons as (pk, name), in order, when the caller read them."""
    if reasons is None:
        # One bot's reasons: ordered as the model orders them, without joining the bot.
        reasons = PauseReason.objects.filter(bot_id=attendant.bot_id, is_active=True).order_by(
            "position", "name"
        )
        reasons = [(r.pk, r.name) for r in reasons]
    status = Attendant.Status
    pauses = [(f"pause:{pk}", f"{status.PAUSE.label} — {name}") for pk, name in reasons]
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


def ticket_tools(
    *, ticket: Ticket, mine: bool, is_supervisor: bool, settings=None, catalog=None
) -> dict:
    """What the ticket's tools show: tags to close with, notes, quick replies, hold.

    ``settings``: the Desk settings of the ticket's bot when the caller read them already;
    ``catalog``: its ``workspace.ticket_catalog`` (tags and, when ``mine``, quick replies).
    """
    settings = settings or desk_settings_for(bot_id=ticket.bot_id)
    if catalog is not None:
        tags = catalog.closing_tags
        replies = filled_for(ticket, catalog.quick_replies) if mine else []
    else:
        tags = ClosingTag.objects.filter(bot_id=ticket.bot_id, is_active=True).order_by("name")
        replies = quick_replies_for(ticket=ticket) if mine else []
    return {
        "closing_tags": tags,
        "closing_tag_required": settings.closing_tag_required,
        "ticket_tags": list(ticket.tags.all()) if not ticket.is_active else [],
        "notes": list(ticket.notes.select_related("author")),
        "can_note": mine or is_supervisor,
        "quick_replies": replies,
        "can_hold": ticket.status == TicketStatus.OPEN and (mine or is_supervisor),
        "inactivity_on": bool(settings.inactivity_warning_minutes),
    }


def ticket_attendant_email(*, ticket_id: int) -> str:
    """The e-mail of the attendant holding the ticket ("" while nobody does)."""
    email = Ticket.objects.filter(pk=ticket_id).values_list("attendant__email", flat=True).first()
    return email or ""
