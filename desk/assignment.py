"""Automatic distribution applied to the database, race-free (R21).

``desk.distribution`` decides; this module loads the rows it decides from, under locks, and claims
the tickets with compare-and-set updates. Three hooks call it: a ticket enters a queue
(``ticket_distribute``: inbound, transfer, hand-over), an attendant turns Online or frees a slot
(``attendant_fill_slots``: status change, close, transfer); the Desk timers sweep what a hook
could not place (``tickets_distribute_waiting``).

Locks, on PostgreSQL (SQLite serialises every writing transaction anyway):
- a ticket row is locked before any attendant row; a transaction that starts from an attendant
  takes ticket rows only with ``SKIP LOCKED``, so it never waits for one — no lock cycle;
- the attendant rows a choice reads are locked together, in id order, and the load (open tickets)
  is counted under those locks: two assigners cannot both fill the same last slot.
A ticket is claimed by ``UPDATE … WHERE status = 'waiting'``: it is never assigned twice.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from desk.distribution import Candidate, WaitingTicket, choose_attendant, tickets_for
from desk.live import events as live
from desk.models import Attendant, DeskSettings, TeamMembership, Ticket, TicketStatus

logger = logging.getLogger(__name__)
ONLINE = Attendant.Status.ONLINE
WAITING = TicketStatus.WAITING


def desk_settings_for(*, bot_id: int) -> DeskSettings:
    """The bot's Desk settings; the defaults (automatic distribution) when none were saved."""
    return DeskSettings.objects.filter(bot_id=bot_id).first() or DeskSettings(bot_id=bot_id)


def is_automatic(*, bot_id: int) -> bool:
    mode = DeskSettings.objects.filter(bot_id=bot_id).values_list("distribution", flat=True)
    return (mode.first() or DeskSettings.Distribution.AUTOMATIC) == "automatic"


def _open_counts(attendant_ids) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(attendant_id__in=list(attendant_ids), status=TicketStatus.OPEN)
        .values("attendant_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["attendant_id"]: row["n"] for row in rows}


def _claim(*, ticket_id: int, attendant_id: int, now: dt.datetime, announce: bool = True) -> bool:
    """Waiting → Open for the attendant, only if still waiting: the compare-and-set."""
    won = Ticket.objects.filter(pk=ticket_id, status=WAITING).update(
        status=TicketStatus.OPEN, attendant_id=attendant_id, opened_at=now, fallback_at=None
    )
    if won:
        Attendant.objects.filter(pk=attendant_id).update(last_assigned_at=now)
        if announce:
            live.ticket_assigned(ticket_id=ticket_id)
    return bool(won)


@dataclass(frozen=True)
class Assigned:
    attendant_id: int
    email: str


@transaction.atomic(savepoint=False)
def ticket_distribute(
    *,
    ticket_id: int,
    now: dt.datetime | None = None,
    ticket: dict | None = None,
    announce: bool = True,
) -> Assigned | None:
    """Give a waiting ticket to the right attendant at once (automatic mode); who got it.

    A directed ticket goes only to its attendant; any other to the team's Online attendant with
    a free slot and the fewest open tickets. None when nobody can take it now: it waits.
    ``ticket`` (bot_id, team_id, requested_attendant_id) spares the read when the caller has
    just created the row in this transaction. ``announce=False`` when the caller already told
    the live Desk the ticket is waiting (that event becomes "assigned" once it commits).
    """
    now = now or timezone.now()
    if ticket is None:
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(pk=ticket_id, status=WAITING)
            .values("bot_id", "team_id", "requested_attendant_id")
            .first()
        )
    if ticket is None or not is_automatic(bot_id=ticket["bot_id"]):
        return None
    if ticket["requested_attendant_id"] is not None:
        people = Attendant.objects.filter(pk=ticket["requested_attendant_id"])
    else:
        members = TeamMembership.objects.filter(team_id=ticket["team_id"])
        people = Attendant.objects.filter(pk__in=members.values("attendant_id"))
    rows = {
        row[0]: row
        for row in people.select_for_update()
        .filter(status=ONLINE)
        .order_by("pk")
        .values_list("pk", "status", "slots", "last_assigned_at", "email")
    }
    # Counted after the locks are held: a statement of its own sees every commit before them.
    loads = _open_counts(rows)
    chosen = choose_attendant(
        Candidate(id=pk, status=st, slots=slots, open_tickets=loads.get(pk, 0), last_assigned_at=at)
        for pk, st, slots, at, _email in rows.values()
    )
    if chosen is None or not _claim(
        ticket_id=ticket_id, attendant_id=chosen.id, now=now, announce=announce
    ):
        return None
    return Assigned(attendant_id=chosen.id, email=rows[chosen.id][4])


def attendant_take_next(
    *, attendant: Attendant, free_slots: int, now: dt.datetime | None = None
) -> list[int]:
    """Claim up to ``free_slots`` waiting tickets for the attendant (their row already locked).

    Directed to them first, then the oldest of their teams (``distribution.tickets_for``).
    Tickets another transaction holds are skipped, never waited for.
    """
    if free_slots <= 0:
        return []
    now = now or timezone.now()
    team_ids = list(
        TeamMembership.objects.filter(attendant=attendant).values_list("team_id", flat=True)
    )
    waiting = Ticket.objects.select_for_update(skip_locked=True).filter(status=WAITING)
    columns = ("pk", "created_at", "team_id", "requested_attendant_id")
    rows = [
        *waiting.filter(requested_attendant=attendant)
        .order_by("created_at", "pk")
        .values_list(*columns)[:free_slots],
        *waiting.filter(requested_attendant__isnull=True, team_id__in=team_ids)
        .order_by("created_at", "pk")
        .values_list(*columns)[:free_slots],
    ]
    picks = tickets_for(
        attendant_id=attendant.pk,
        team_ids=team_ids,
        waiting=[WaitingTicket(*row) for row in rows],
        free_slots=free_slots,
    )
    return [t.id for t in picks if _claim(ticket_id=t.id, attendant_id=attendant.pk, now=now)]


@transaction.atomic
def attendant_fill_slots(*, attendant_id: int, now: dt.datetime | None = None) -> list[int]:
    """An Online attendant with free slots receives the next tickets (automatic mode); their ids."""
    attendant = Attendant.objects.select_for_update().filter(pk=attendant_id).first()
    if attendant is None or attendant.status != ONLINE:
        return []
    if not is_automatic(bot_id=attendant.bot_id):
        return []
    free = attendant.slots - _open_counts([attendant.pk]).get(attendant.pk, 0)
    return attendant_take_next(attendant=attendant, free_slots=free, now=now)


def fill_slots_after_commit(*, attendant_id: int | None) -> None:
    """Hook for a transaction that already locked other rows: fill the slot once it commits."""
    if attendant_id is None:
        return

    def fill():
        try:
            attendant_fill_slots(attendant_id=attendant_id)
        except Exception:
            # The Desk timers sweep the queue again shortly; the close itself succeeded.
            logger.exception("filling the slots of attendant %s failed", attendant_id)

    transaction.on_commit(fill)


def tickets_distribute_waiting(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Place the waiting tickets no hook could (a lock was busy, a bot switched to automatic).

    Oldest first, one short transaction per ticket; returns how many were assigned.
    """
    manual = DeskSettings.objects.filter(distribution=DeskSettings.Distribution.MANUAL)
    # Only tickets someone Online could take: a directed one's attendant, or a team member.
    someone_online = Q(requested_attendant__status=ONLINE) | Q(
        requested_attendant__isnull=True, team__attendants__status=ONLINE
    )
    ids = list(
        Ticket.objects.filter(someone_online, status=WAITING)
        .exclude(bot_id__in=manual.values("bot_id"))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    return sum(1 for pk in ids if ticket_distribute(ticket_id=pk, now=now) is not None)
