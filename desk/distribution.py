"""Who gets a waiting ticket, and which ticket an attendant gets next (R21, R13).

Two pure functions over plain data, like ``desk.routing``: no ORM, no clock, no I/O, so the order
is a table test. ``desk.assignment`` loads the rows under their locks, asks these functions and
applies the answer.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

ONLINE = "online"
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """An attendant who might receive a ticket, with their load right now."""

    id: int
    status: str
    slots: int
    open_tickets: int
    last_assigned_at: datetime | None = None

    @property
    def has_free_slot(self) -> bool:
        return self.open_tickets < self.slots


@dataclass(frozen=True)
class WaitingTicket:
    id: int
    created_at: datetime
    team_id: int
    requested_attendant_id: int | None = None


def choose_attendant(candidates: Iterable[Candidate]) -> Candidate | None:
    """R21: an Online attendant with a free slot and the fewest open tickets.

    Ties go to whoever has gone longest without a new ticket (never first), then the lowest id,
    so the answer never depends on the order the rows came in. Pause, Invisible and Offline
    attendants receive nothing.
    """
    able = [c for c in candidates if c.status == ONLINE and c.has_free_slot]
    return min(
        able,
        key=lambda c: (c.open_tickets, c.last_assigned_at or _NEVER, c.id),
        default=None,
    )


def tickets_for(
    *,
    attendant_id: int,
    team_ids: Iterable[int],
    waiting: Sequence[WaitingTicket],
    free_slots: int,
) -> list[WaitingTicket]:
    """The tickets an attendant with ``free_slots`` takes now, in the order they take them.

    Tickets directed to them come first (R13), oldest first; then the oldest undirected tickets
    of their teams. A ticket directed to someone else is never theirs.
    """
    if free_slots <= 0:
        return []
    teams = set(team_ids)

    def age(ticket: WaitingTicket):
        return (ticket.created_at, ticket.id)

    directed = sorted((t for t in waiting if t.requested_attendant_id == attendant_id), key=age)
    team = sorted(
        (t for t in waiting if t.requested_attendant_id is None and t.team_id in teams), key=age
    )
    return [*directed, *team][:free_slots]
