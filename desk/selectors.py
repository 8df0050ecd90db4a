"""Reads of the Desk: who is an attendant where, queues, tickets and conversations."""

from django.db.models import Count, Q, QuerySet

from bots.access import has_role
from bots.models import Bot, BotMembership, Contact, Message
from desk.models import ACTIVE_TICKET_STATUSES, Attendant, Team, Ticket, TicketStatus

CONVERSATION_LIMIT = 200


def desk_bot_ids(bot: Bot) -> list[int]:
    """The bots whose Desks live under a top-level bot: itself and its sub-bots."""
    return [bot.pk, *Bot.objects.filter(router=bot).values_list("pk", flat=True)]


def attendants_of_user(*, user, bot: Bot) -> QuerySet[Attendant]:
    if not user.is_authenticated:
        return Attendant.objects.none()
    return (
        Attendant.objects.filter(user=user, bot_id__in=desk_bot_ids(bot))
        .select_related("bot")
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


def waiting_counts_for(*, attendant: Attendant) -> dict[str, int]:
    """What Attend a new customer would find: tickets directed to the attendant, then teams'."""
    waiting = Ticket.objects.filter(status=TicketStatus.WAITING)
    return waiting.aggregate(
        directed=Count("id", filter=Q(requested_attendant=attendant)),
        teams=Count(
            "id",
            filter=Q(
                requested_attendant__isnull=True,
                team__in=Team.objects.filter(attendants=attendant),
            ),
        ),
    )


def visible_ticket(*, user, bot: Bot, pk: int) -> Ticket | None:
    """A ticket of the bot's Desks the user may open: supervisors all, attendants their own."""
    tickets = Ticket.objects.filter(pk=pk, bot_id__in=desk_bot_ids(bot)).select_related(
        "contact", "team", "attendant", "requested_attendant", "bot", "transferred_to"
    )
    if not is_supervisor(user=user, bot=bot):
        mine = attendants_of_user(user=user, bot=bot)
        tickets = tickets.filter(Q(attendant__in=mine) | Q(requested_attendant__in=mine))
    return tickets.first()


def conversation(*, contact: Contact, limit: int = CONVERSATION_LIMIT) -> list[Message]:
    """The contact's latest messages on the channel, oldest first, with who answered."""
    latest = (
        Message.objects.filter(contact=contact)
        .select_related("ticket_link__attendant", "routing")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(latest))


def transfer_targets(*, ticket: Ticket) -> tuple[QuerySet[Team], QuerySet[Attendant]]:
    teams = Team.objects.filter(bot_id=ticket.bot_id).order_by("name")
    attendants = Attendant.objects.filter(bot_id=ticket.bot_id).order_by("email")
    return teams, attendants


def supervisor_overview(*, bot: Bot) -> dict:
    """Waiting tickets per team (directed ones flagged) and attendants with their load."""
    bot_ids = desk_bot_ids(bot)
    waiting = sorted(
        Ticket.objects.filter(bot_id__in=bot_ids, status=TicketStatus.WAITING)
        .select_related("contact", "team", "requested_attendant", "bot")
        .order_by("created_at", "id"),
        # Directed tickets go first, as they do for Attend a new customer (R13); sorted() is stable.
        key=lambda t: t.requested_attendant_id is None,
    )
    teams = list(
        Team.objects.filter(bot_id__in=bot_ids).select_related("bot").order_by("bot__slug", "name")
    )
    by_team = {t.pk: [] for t in teams}
    for ticket in waiting:
        by_team.setdefault(ticket.team_id, []).append(ticket)
    attendants = (
        Attendant.objects.filter(bot_id__in=bot_ids)
        .select_related("bot")
        .annotate(open_count=Count("tickets", filter=Q(tickets__status=TicketStatus.OPEN)))
        .order_by("bot__slug", "email")
    )
    return {
        "queues": [(team, by_team.get(team.pk, [])) for team in teams],
        "attendants": list(attendants),
        "waiting_total": len(waiting),
    }


def contact_of(*, bot: Bot, phone: str) -> Contact | None:
    return Contact.objects.filter(bot=bot.top_level, phone=phone).first()


def active_ticket_of(*, contact: Contact) -> Ticket | None:
    return Ticket.objects.filter(contact=contact, status__in=ACTIVE_TICKET_STATUSES).first()
