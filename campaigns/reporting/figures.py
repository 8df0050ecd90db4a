"""Every number of a campaign's report, from aggregate queries over its recipients and the Desk.

``campaign_figures`` returns plain JSON-safe data (stored on ``CampaignResults.figures``): the
funnel's counts, failures grouped by code, reply-routing outcomes, response times (median and
p90, in seconds) and replies per hour.
"""

import datetime as dt
import math

from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import TruncHour
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from campaigns.reporting.outcomes import campaign_tickets, outcomes_for, with_outcome
from desk.models import TicketMessage

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
        "outcomes": _outcomes(recipients, campaign, now),
        "timing": {
            "reply": percentiles(_reply_seconds(recipients)),
            "human": percentiles(tickets["answer_seconds"]),
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


def _outcomes(recipients, campaign: Campaign, now: dt.datetime) -> dict[str, int]:
    found = dict.fromkeys(outcomes_for(campaign), 0)
    rows = (
        with_outcome(recipients.filter(status__in=SENT), campaign, now)
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        if row["outcome"]:
            found[row["outcome"]] = row["n"]
    return found


def _reply_seconds(recipients) -> list[float]:
    pairs = recipients.filter(
        status=RS.REPLIED, replied_at__isnull=False, sent_at__isnull=False
    ).values_list("sent_at", "replied_at")
    return [max(0.0, (replied - sent).total_seconds()) for sent, replied in pairs.iterator()]


def _ticket_figures(campaign: Campaign) -> dict:
    """Tickets the campaign's replies opened, and when a person first answered each."""
    first_answer = (
        TicketMessage.objects.filter(ticket=OuterRef("pk"), attendant__isnull=False)
        .order_by("message__created_at")
        .values("message__created_at")[:1]
    )
    rows = (
        campaign_tickets(campaign)
        .annotate(first_answer=Subquery(first_answer))
        .values_list("directive_id", "created_at", "first_answer")
    )
    opened, answered, seconds = set(), set(), []
    for directive_id, created_at, first in rows.iterator():
        opened.add(directive_id)
        if first is not None:
            answered.add(directive_id)
            seconds.append(max(0.0, (first - created_at).total_seconds()))
    return {"opened": len(opened), "answered": len(answered), "answer_seconds": seconds}


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
