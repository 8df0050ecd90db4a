"""Every number of a campaign's report, from aggregate queries over its recipients and the Desk.

``campaign_figures`` returns plain JSON-safe data (stored on ``CampaignResults.figures``): the
funnel's counts, failures grouped by code, reply-routing outcomes, response times (median and
p90, in seconds) and replies per hour.
"""

import datetime as dt
import math
from collections import Counter

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    When,
)
from django.db.models.functions import Greatest, TruncHour
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from campaigns.reporting import outcomes as oc
from campaigns.reporting.outcomes import campaign_directives, campaign_tickets

RS = Recipient.Status
SENT = [RS.SENT, RS.DELIVERED, RS.READ, RS.REPLIED]
DELIVERED = [RS.DELIVERED, RS.READ, RS.REPLIED]
READ = [RS.READ, RS.REPLIED]
# Replies are charted hour by hour for the first three days; later ones are counted together.
HOURS_CHARTED = 72


def campaign_figures(*, campaign: Campaign, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    recipients = Recipient.objects.filter(campaign=campaign)
    counts = _funnel_counts(recipients)
    tickets = _ticket_figures(campaign)
    counts["tickets_opened"] = tickets["opened"]
    counts["human_answered"] = tickets["answered"]
    return {
        "counts": counts,
        "failures": _failures(recipients),
        "outcomes": _outcomes(counts, campaign, now),
        "timing": {
            "reply": _reply_timing(recipients),
            "human": tickets["timing"],
        },
        "replies_per_hour": _replies_per_hour(recipients, campaign),
    }


def _funnel_counts(recipients) -> dict[str, int]:
    def count(statuses) -> Count:
        return Count("id", filter=Q(status__in=statuses))

    return recipients.aggregate(
        total=Count("id"),
        pending=count([RS.PENDING, RS.SENDING]),
        sent=count(SENT),
        delivered=count(DELIVERED),
        read=count(READ),
        replied=count([RS.REPLIED]),
        failed=count([RS.FAILED]),
    )


def _failures(recipients) -> list[dict]:
    rows = (
        recipients.filter(status=RS.FAILED)
        .values("failure_code")
        .annotate(count=Count("id"), reason=Max("failure_reason"))
        .order_by("-count", "failure_code")
    )
    return [{"code": r["failure_code"], "count": r["count"], "reason": r["reason"]} for r in rows]


def _outcomes(counts: dict, campaign: Campaign, now: dt.datetime) -> dict[str, int]:
    """Sent recipients by outcome, as ``outcomes.with_outcome`` decides it per recipient.

    Counted from the directive side so that a million recipients cost one grouped scan of the
    directives plus reads of the few tickets and replies, instead of a join per recipient.
    """
    if campaign.routing == Campaign.Routing.FLOW:
        return {oc.TO_FLOW: counts["replied"], oc.NO_REPLY: counts["sent"] - counts["replied"]}
    expired = Case(
        When(valid_until__lte=now, then=True), default=False, output_field=BooleanField()
    )
    # Every directive by its state: replaced, expired or still open.
    states = Counter(
        {
            _state(superseded, gone): n
            for superseded, gone, n in campaign_directives(campaign)
            .annotate(gone=expired)
            .values_list("superseded", "gone")
            .annotate(n=Count("id"))
            .order_by()
        }
    )
    # Directives a reply followed into a ticket (few): to the attendant or to the team.
    ticketed: dict[int, tuple[str, str]] = {}
    for directive_id, requested, routed_by, superseded, gone in (
        campaign_tickets(campaign)
        .annotate(gone=Case(When(directive__valid_until__lte=now, then=True), default=False))
        .values_list(
            "directive_id", "requested_attendant_id", "routed_by", "directive__superseded", "gone"
        )
    ):
        was = ticketed.get(directive_id, (oc.TO_TEAM, ""))[0]
        if routed_by == oc.FALLBACK_ROUTE or was == oc.FELL_BACK:
            now_is = oc.FELL_BACK
        elif requested is not None or was == oc.TO_ATTENDANT:
            now_is = oc.TO_ATTENDANT
        else:
            now_is = oc.TO_TEAM
        ticketed[directive_id] = (now_is, _state(superseded, gone))
    # Replies that opened no ticket through their directive (they joined an open ticket).
    elsewhere = Counter()
    for directive_id, superseded, gone in _replies_with_directive(campaign, now):
        if directive_id not in ticketed:
            elsewhere[_state(superseded, gone) if directive_id else ""] += 1
    routes = Counter(route for route, _state in ticketed.values())
    found = {
        oc.TO_ATTENDANT: routes[oc.TO_ATTENDANT],
        oc.FELL_BACK: routes[oc.FELL_BACK],
        oc.TO_TEAM: routes[oc.TO_TEAM],
        oc.REPLIED_ELSEWHERE: sum(elsewhere.values()),
    }
    used = Counter(state for _route, state in ticketed.values()) + elsewhere
    for state in (oc.SUPERSEDED, oc.EXPIRED, oc.WAITING):
        found[state] = states[state] - used[state]
    return found


def _state(superseded: bool, gone: bool) -> str:
    if superseded:
        return oc.SUPERSEDED
    return oc.EXPIRED if gone else oc.WAITING


def _replies_with_directive(campaign: Campaign, now: dt.datetime):
    """(directive id or None, superseded, expired) of each replied recipient: one join."""
    rows = (
        Recipient.objects.filter(campaign=campaign, status=RS.REPLIED)
        .annotate(
            d=FilteredRelation(
                "contact__directives",
                condition=Q(
                    contact__directives__source_id=campaign.pk,
                    contact__directives__bot_id=campaign.routing_bot_id,
                ),
            )
        )
        .values_list("d__id", "d__superseded", "d__valid_until")
    )
    for directive_id, superseded, until in rows.iterator(chunk_size=5000):
        yield directive_id, bool(superseded), until is not None and until <= now


def _reply_timing(recipients) -> dict:
    replied = recipients.filter(status=RS.REPLIED, replied_at__isnull=False, sent_at__isnull=False)
    if connection.vendor == "postgresql":
        return _sql_percentiles(replied, F("replied_at") - F("sent_at"))
    pairs = replied.values_list("sent_at", "replied_at")
    return percentiles([max(0.0, (b - a).total_seconds()) for a, b in pairs.iterator()])


class _Epoch(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


class _Percentile(Aggregate):
    """PostgreSQL's percentile_cont, which interpolates as ``percentiles`` does."""

    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _sql_percentiles(qs, duration) -> dict:
    seconds = Greatest(_Epoch(ExpressionWrapper(duration, output_field=DurationField())), 0.0)
    found = qs.aggregate(
        n=Count("pk"), median=_Percentile(seconds, 0.5), p90=_Percentile(seconds, 0.9)
    )
    return found if found["n"] else {"n": 0, "median": None, "p90": None}


def _ticket_figures(campaign: Campaign) -> dict:
    """Tickets the campaign's replies opened, and when a person first answered each."""
    # A grouped MIN over the tickets' messages: one hash aggregate, not a lookup per ticket.
    tickets = campaign_tickets(campaign).annotate(
        first_answer=Min(
            "ticket_messages__message__created_at",
            filter=Q(ticket_messages__attendant__isnull=False),
        )
    )
    found = tickets.aggregate(
        opened=Count("directive_id", distinct=True),
        answered=Count("directive_id", distinct=True, filter=Q(first_answer__isnull=False)),
    )
    answered = tickets.filter(first_answer__isnull=False)
    if connection.vendor == "postgresql":
        timing = _sql_percentiles(answered, F("first_answer") - F("created_at"))
    else:
        pairs = answered.values_list("created_at", "first_answer")
        timing = percentiles([max(0.0, (b - a).total_seconds()) for a, b in pairs.iterator()])
    return {"opened": found["opened"], "answered": found["answered"], "timing": timing}


def percentiles(values: list[float]) -> dict:
    """Median and p90 (linear interpolation, as PostgreSQL's percentile_cont) of ``values``."""
    if not values:
        return {"n": 0, "median": None, "p90": None}
    ordered = sorted(values)
    return {"n": len(ordered), "median": _at(ordered, 0.5), "p90": _at(ordered, 0.9)}


def _at(ordered: list[float], fraction: float) -> float:
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _replies_per_hour(recipients, campaign: Campaign) -> dict:
    """Replies in each hour from the first send, for HOURS_CHARTED hours, then one "later"."""
    rows = list(
        recipients.filter(status=RS.REPLIED, replied_at__isnull=False)
        .annotate(hour=TruncHour("replied_at", tzinfo=dt.UTC))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    )
    if not rows:
        return {"start": None, "counts": [], "later": 0}
    start = campaign.dispatched_at or rows[0]["hour"]
    start = (
        min(start, rows[0]["hour"]).astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    )
    last = min(rows[-1]["hour"], start + dt.timedelta(hours=HOURS_CHARTED - 1))
    counts = [0] * (int((last - start).total_seconds() // 3600) + 1)
    later = 0
    for row in rows:
        index = int((row["hour"] - start).total_seconds() // 3600)
        if index < len(counts):
            counts[index] += row["n"]
        else:
            later += row["n"]
    return {"start": start.isoformat(), "counts": counts, "later": later}
