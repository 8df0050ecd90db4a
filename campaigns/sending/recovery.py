"""What crashed workers leave behind: stale claims and batches nobody will run.

A claim older than the timeout belongs to a worker that died, or whose answer is lost: the
message may have left, so it is never resent; it ends Failed "unknown outcome" (a later delivery
event still corrects it). Pending recipients of a campaign with no recent claim are enqueued again:
the claims make a duplicate batch harmless. This is also how recipients deferred by the bot's
messaging limit (R26) go out: once their ``deferred_until`` has passed, the next tick (beat, every
SCHEDULER_INTERVAL_SECONDS) enqueues them, and the window admits them or defers them again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import metrics
from campaigns.models import Campaign, CampaignStatus
from campaigns.recipient_moves import recipients_fail_claimed_before
from campaigns.sending import start_sending
from campaigns.sending.engine import UNKNOWN_OUTCOME, campaign_finish_if_done

# Far longer than a send with all its retries can take (5 attempts, 10 s timeout, backoff).
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
RESUME_AFTER = dt.timedelta(minutes=2)


def recipients_fail_stale_claims(*, stale_after: dt.timedelta | None = None) -> int:
    stale_after = stale_after if stale_after is not None else _setting("CLAIM_TIMEOUT")
    cutoff = timezone.now() - stale_after
    failed = recipients_fail_claimed_before(
        cutoff=cutoff,
        code=UNKNOWN_OUTCOME,
        reason=_("Unknown outcome: the worker sending it stopped before the answer."),
    )
    metrics.count_failed(UNKNOWN_OUTCOME, failed)
    return failed


def campaigns_resume_stalled(*, resume_after: dt.timedelta | None = None) -> list[int]:
    """Re-enqueue Pending recipients of Sending campaigns where nothing was claimed lately."""
    resume_after = resume_after if resume_after is not None else _setting("RESUME_AFTER")
    cutoff = timezone.now() - resume_after
    resumed = []
    sending = Campaign.objects.filter(status=CampaignStatus.SENDING)
    for campaign in sending.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=cutoff)):
        last_claim = campaign.recipients.aggregate(last=Max("claimed_at"))["last"]
        if last_claim is not None and last_claim > cutoff:
            continue  # a worker is on it
        if start_sending(campaign_id=campaign.pk):
            resumed.append(campaign.pk)
    return resumed


def sending_recover(
    *, stale_after: dt.timedelta | None = None, resume_after: dt.timedelta | None = None
) -> dict:
    """Settle stale claims, resume stalled campaigns and close the ones with nothing left."""
    failed = recipients_fail_stale_claims(stale_after=stale_after)
    resumed = campaigns_resume_stalled(resume_after=resume_after)
    finished = [
        pk
        for pk in Campaign.objects.filter(status=CampaignStatus.SENDING).values_list(
            "pk", flat=True
        )
        if campaign_finish_if_done(campaign_id=pk)
    ]
    return {"stale_failed": failed, "resumed": resumed, "finished": finished}


def _setting(name: str) -> dt.timedelta:
    seconds = getattr(settings, f"SENDING_{name}_SECONDS", None)
    default = CLAIM_TIMEOUT if name == "CLAIM_TIMEOUT" else RESUME_AFTER
    return dt.timedelta(seconds=seconds) if seconds is not None else default
