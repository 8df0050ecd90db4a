"""What the Desk pushes to the attendants' and supervisors' sockets, and to whom.

Desk services call these functions inside their transaction. The event is built after commit from
the committed rows (one small query) and sent to the groups it concerns:

- the attendant holding the ticket: assigned, new message, closed; their status changed elsewhere;
- a waiting ticket's audience: its team's members, or only its directed attendant (R13, R21);
- the supervisors of the ticket's top-level bot: the board moved;
- the attendant holding a customer's open ticket: a message to that customer changed its
  delivery status (sent, delivered, read, failed).

Groups carry ids only; ``access`` decides which groups a socket may join, so a socket of one bot
never hears another bot's events. Payloads carry what a notification shows (customer, preview),
never more: the page fetches the rest over HTTP with the same permissions as any page.
"""

from enum import StrEnum

from bots.models import Message
from bots.phones import format_phone
from desk.live import groups
from desk.live.publish import Delivery, after_commit
from desk.models import Attendant, Ticket, TicketStatus

PREVIEW_LENGTH = 140


class Event(StrEnum):
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_MESSAGE = "ticket.message"
    TICKET_CLOSED = "ticket.closed"
    MESSAGE_STATUS = "message.status"
    QUEUE_CHANGED = "queue.changed"
    STATUS_CHANGED = "attendant.status"
    BOARD_CHANGED = "board.changed"
    SESSION_ENDED = "session.ended"


_TICKET_FIELDS = (
    "id",
    "sequence",
    "status",
    "attendant_id",
    "requested_attendant_id",
    "team_id",
    "bot_id",
    "bot__router_id",
    "contact__name",
    "contact__phone",
)


def _ticket(ticket_id: int) -> dict | None:
    return Ticket.objects.filter(pk=ticket_id).values(*_TICKET_FIELDS).first()


def _about(row: dict) -> dict:
    """The part every ticket event shares: which ticket, and who the customer is."""
    return {
        "ticket": row["id"],
        "number": row["sequence"],
        "contact": row["contact__name"] or format_phone(row["contact__phone"]),
        "phone": format_phone(row["contact__phone"]),
    }


def _board(row: dict) -> tuple[str, dict]:
    top = row["bot__router_id"] or row["bot_id"]
    return groups.supervisors(top), {"type": Event.BOARD_CHANGED}


def _queue(row: dict) -> tuple[str, dict]:
    """A waiting ticket concerns its directed attendant only, else every member of its team."""
    waiting = Ticket.objects.filter(status=TicketStatus.WAITING)
    if row["requested_attendant_id"]:
        count = waiting.filter(requested_attendant_id=row["requested_attendant_id"]).count()
        group = groups.attendant(row["requested_attendant_id"])
        return group, {"type": Event.QUEUE_CHANGED, "directed": True, "waiting": count}
    count = waiting.filter(team_id=row["team_id"], requested_attendant__isnull=True).count()
    return groups.team(row["team_id"]), {
        "type": Event.QUEUE_CHANGED,
        "directed": False,
        "team": row["team_id"],
        "waiting": count,
    }


def ticket_waiting(*, ticket_id: int) -> None:
    """A ticket now waits (a new customer, a transfer): its queue and the board changed."""

    def build() -> Delivery:
        row = _ticket(ticket_id)
        if row is None:
            return []
        if row["status"] != TicketStatus.WAITING:
            # Taken in the same transaction (automatic distribution): announce that instead.
            return _assigned(row, transferred=False)
        return [_queue(row), _board(row)]

    after_commit(build)


def ticket_assigned(*, ticket_id: int, transferred: bool = False) -> None:
    """An attendant got the ticket: they are told, its queue shrank, the board moved."""
    after_commit(lambda: _assigned(_ticket(ticket_id), transferred=transferred))


def _assigned(row: dict | None, *, transferred: bool) -> Delivery:
    if row is None or row["attendant_id"] is None:
        return []
    event = {
        "type": Event.TICKET_ASSIGNED,
        **_about(row),
        "directed": row["requested_attendant_id"] == row["attendant_id"],
        "transferred": transferred,
    }
    return [(groups.attendant(row["attendant_id"]), event), _queue(row), _board(row)]


def ticket_message(*, ticket_id: int, text: str, inbound: bool) -> None:
    """A message on the ticket: its attendant sees it; while it waits, its queue does."""
    preview = " ".join((text or "").split())[:PREVIEW_LENGTH]

    def build() -> Delivery:
        row = _ticket(ticket_id)
        if row is None:
            return []
        if row["status"] == TicketStatus.WAITING:
            return [_queue(row), _board(row)]
        if row["status"] != TicketStatus.OPEN or row["attendant_id"] is None:
            return []
        event = {
            "type": Event.TICKET_MESSAGE,
            **_about(row),
            "direction": "in" if inbound else "out",
            "preview": preview,
        }
        return [(groups.attendant(row["attendant_id"]), event), _board(row)]

    after_commit(build)


def ticket_closed(*, ticket_id: int, attendant_id: int | None) -> None:
    """The ticket ended (closed or transferred away): its last holder drops it from the list."""

    def build() -> Delivery:
        row = _ticket(ticket_id)
        if row is None:
            return []
        event = {"type": Event.TICKET_CLOSED, **_about(row), "status": row["status"]}
        delivery = [_board(row)]
        if attendant_id is not None:
            delivery.append((groups.attendant(attendant_id), event))
        else:
            delivery.append(_queue(row))  # it left a queue without being attended
        return delivery

    after_commit(build)


def message_status_changed(*, bot_id: int, gateway_message_id: str) -> None:
    """A message to a customer moved (delivered, read, failed): their open conversation shows it.

    One indexed query; a customer without an open ticket (most campaign recipients) costs no more.
    """

    def build() -> Delivery:
        message = (
            Message.objects.filter(
                bot_id=bot_id,
                gateway_message_id=gateway_message_id,
                direction=Message.Direction.OUTBOUND,
            )
            .values("contact_id", "status")
            .first()
        )
        if message is None:
            return []
        tickets = Ticket.objects.filter(
            contact_id=message["contact_id"],
            status=TicketStatus.OPEN,
            attendant__isnull=False,
        ).values_list("id", "attendant_id")
        return [
            (
                groups.attendant(attendant_id),
                {"type": Event.MESSAGE_STATUS, "ticket": ticket_id, "status": message["status"]},
            )
            for ticket_id, attendant_id in tickets
        ]

    after_commit(build)


def attendant_status_changed(*, attendant_id: int) -> None:
    """The attendant's status moved: their other tabs and the supervisors follow."""

    def build() -> Delivery:
        row = (
            Attendant.objects.filter(pk=attendant_id)
            .values("id", "status", "pause_reason_id", "bot_id", "bot__router_id")
            .first()
        )
        if row is None:
            return []
        event = {"type": Event.STATUS_CHANGED, "attendant": row["id"], "status": row["status"]}
        if row["pause_reason_id"]:  # the status picker's value of a pause with its reason
            event["value"] = f"pause:{row['pause_reason_id']}"
        return [(groups.attendant(row["id"]), event), _board(row)]

    after_commit(build)


def session_ended(*, user_id: int) -> None:
    """The user logged out: every Desk socket of theirs closes."""
    after_commit(lambda: [(groups.user(user_id), {"type": Event.SESSION_ENDED})])
