"""Rolling a campaign's figures up into ``CampaignResults``: periodically and on demand.

The periodic task refreshes every campaign whose numbers can still move: sending, dispatched in
the last ``CAMPAIGN_RESULTS_LIVE_HOURS`` (replies and read receipts keep arriving after the last
send), or finished since its last roll-up. Everything older keeps the figures it has.
"""

import datetime as dt

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignResults, CampaignStatus
from campaigns.reporting.figures import campaign_figures

LIVE_HOURS = 48  # the 24 h reply window, and a day of late receipts and expiring directives
# A report opened on a campaign this small is recomputed on the spot: it costs milliseconds.
INLINE_MAX_RECIPIENTS = 5000
COUNTER_FIELDS = (
    "total",
    "pending",
    "sent",
    "delivered",
    "read",
    "replied",
    "failed",
    "tickets_opened",
    "human_answered",
)


def campaign_results_refresh(
    *, campaign: Campaign, now: dt.datetime | None = None
) -> CampaignResults:
    """Recompute the campaign's figures and store them (one row, rewritten)."""
    now = now or timezone.now()
    figures = campaign_figures(campaign=campaign, now=now)
    counts = figures["counts"]
    results, _created = CampaignResults.objects.update_or_create(
        campaign=campaign,
        defaults={
            **{name: counts[name] for name in COUNTER_FIELDS},
            "figures": figures,
            "refreshed_at": now,
        },
    )
    return results


def live_campaigns(*, now: dt.datetime) -> "list[Campaign]":
    window = now - dt.timedelta(hours=getattr(settings, "CAMPAIGN_RESULTS_LIVE_HOURS", LIVE_HOURS))
    return list(
        Campaign.objects.filter(
            Q(status=CampaignStatus.SENDING)
            | Q(dispatched_at__gte=window)
            | Q(finished_at__isnull=False, results__isnull=True)
            | Q(finished_at__gt=F("results__refreshed_at"))
        )
        .select_related("routing_bot")
        .order_by("pk")
    )


def campaign_results_refresh_live(*, now: dt.datetime | None = None) -> int:
    """The periodic roll-up: refresh every campaign whose figures can still change."""
    now = now or timezone.now()
    campaigns = live_campaigns(now=now)
    for campaign in campaigns:
        campaign_results_refresh(campaign=campaign, now=now)
    return len(campaigns)


def inline_max() -> int:
    """Campaigns up to this size are counted on the spot by the pages; larger ones read here."""
    return getattr(settings, "CAMPAIGN_RESULTS_INLINE_MAX", INLINE_MAX_RECIPIENTS)


def status_counts_of(results: CampaignResults) -> dict[str, int]:
    """Recipients per status, from the roll-up's cumulative counts (pending includes those
    being sent)."""
    return {
        "pending": results.pending,
        "sending": 0,
        "sent": results.sent - results.delivered,
        "delivered": results.delivered - results.read,
        "read": results.read - results.replied,
        "replied": results.replied,
        "failed": results.failed,
    }


def campaign_results_current(*, campaign: Campaign) -> CampaignResults | None:
    """The results a page shows: recomputed now for a small campaign, else the last roll-up.

    A campaign that never went out (a draft, a scheduled one) has none.
    """
    if campaign.dispatched_at is None and campaign.finished_at is None:
        return CampaignResults.objects.filter(campaign=campaign).first()
    stored = CampaignResults.objects.filter(campaign=campaign).first()
    if stored is None or campaign.audience_size <= inline_max():
        return campaign_results_refresh(campaign=campaign)
    return stored
