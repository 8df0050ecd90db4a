"""The Desk's clocks, run by Celery beat (and `run_periodic` under `make run`) every few seconds.

One tick hands waiting directed tickets over to their team when their time is up (R22), warns and
closes silent customers (R24), flags customers left unanswered, sets Offline the attendants whose
Desk page went away, places the waiting tickets no hook could (R21), and runs the after-commit
effects of inbound messages whose task was lost (desk.inbound_effects). Each step is idempotent.
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from desk import inactivity
from desk.assignment import ticket_distribute, tickets_distribute_waiting
from desk.inbound_effects import inbound_effects_repair
from desk.live import events as live
from desk.models import TeamMembership, Ticket, TicketStatus
from desk.presence import attendants_offline_when_gone

logger = logging.getLogger(__name__)
HANDOVER_BATCH = 200


def desk_timers_tick(*, now: dt.datetime | None = None) -> dict:
    """Every Desk timer once; what each did."""
    now = now or timezone.now()
    return {
        "handed_over": tickets_hand_over_due(now=now),
        "warned": inactivity.tickets_warn_inactive(now=now),
        "closed": inactivity.tickets_close_inactive(now=now),
        "flagged": inactivity.tickets_flag_unanswered(now=now),
        "offline": attendants_offline_when_gone(now=now),
        "distributed": tickets_distribute_waiting(now=now),
        "inbound_repaired": inbound_effects_repair(now=now),
    }


def tickets_hand_over_due(*, now: dt.datetime | None = None) -> list[int]:
    """R22: directed tickets still waiting when their hand-over time came go to the team."""
    now = now or timezone.now()
    due = Ticket.objects.filter(
        status=TicketStatus.WAITING, fallback_at__lte=now, requested_attendant__isnull=False
    ).select_related("requested_attendant", "team")
    return [
        t.pk
        for t in due.order_by("fallback_at", "pk")[:HANDOVER_BATCH]
        if ticket_hand_over(ticket=t, now=now)
    ]


def _team_of(ticket: Ticket) -> int:
    """The attendant's team the ticket goes to: the ticket's own if theirs, else their first."""
    teams = list(
        TeamMembership.objects.filter(
            attendant_id=ticket.requested_attendant_id, team__bot_id=ticket.bot_id
        )
        .order_by("team__name")
        .values_list("team_id", flat=True)
    )
    if not teams or ticket.team_id in teams:
        return ticket.team_id
    return teams[0]


@transaction.atomic
def ticket_hand_over(*, ticket: Ticket, now: dt.datetime) -> bool:
    """Hand a directed waiting ticket to the attendant's team, recording why (R22)."""
    person = ticket.requested_attendant
    team_id = _team_of(ticket)
    params = {
        **(ticket.routing_params or {}),
        "attendant": person.email,
        "minutes": (ticket.routing_params or {}).get("fallback_minutes"),
    }
    won = Ticket.objects.filter(
        pk=ticket.pk, status=TicketStatus.WAITING, requested_attendant_id=person.pk
    ).update(
        requested_attendant=None,
        meant_for=person,
        team_id=team_id,
        fallback_at=None,
        routed_by=Ticket.RoutedBy.FALLBACK,
        routing_code="R22_fallback",
        routing_params=params,
        routing_reason=f"no answer from {person.email}: handed over to the team"[:300],
    )
    if not won:
        return False
    live.ticket_waiting(ticket_id=ticket.pk)  # the team's queue grew (or it is taken at once)
    ticket_distribute(ticket_id=ticket.pk, now=now, announce=False)
    return True
