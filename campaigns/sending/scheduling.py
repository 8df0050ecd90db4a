"""Dispatching due scheduled campaigns: one service for the command and for Celery beat.

Every scheduler may see the same due campaign; the compare-and-set on Scheduled lets exactly one
of them move it, whatever the number of schedulers running at once.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import jobs, validation
from campaigns.heartbeat import scheduler_beat
from campaigns.models import Campaign, CampaignStatus
from campaigns.recipient_moves import recipients_fail_pending
from campaigns.sending.engine import CAMPAIGN_FAILED
from campaigns.services import campaign_move


def campaigns_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    """Dispatch every Scheduled campaign whose time has come; ids of those this call started."""
    now = now or timezone.now()
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
    started = []
    for campaign in due.select_related("bot", "template", "routing_bot").order_by("scheduled_at"):
        if campaign_dispatch_scheduled(campaign=campaign, now=now):
            started.append(campaign.pk)
    return started


def campaign_dispatch_scheduled(*, campaign: Campaign, now: dt.datetime) -> bool:
    """R15: validate again; Failed with the rule's code, or Sending with its lateness recorded."""
    try:
        validation.validate_campaign_for_send(campaign=campaign)
    except ValidationError as error:
        campaign_fail_validation(campaign=campaign, error=error, now=now)
        return False
    lateness = max(0, int((now - campaign.scheduled_at).total_seconds()))
    with transaction.atomic():
        won = campaign_move(
            campaign=campaign,
            to=CampaignStatus.SENDING,
            dispatched_at=now,
            lateness_seconds=lateness,
            attendant=campaign.attendant,
            absent_attendant=campaign.absent_attendant,
        )
        if won:
            transaction.on_commit(lambda: jobs.start_sending(campaign_id=campaign.pk))
    return won


@transaction.atomic
def campaign_fail_validation(*, campaign: Campaign, error: ValidationError, now) -> bool:
    code, reason = first_error(error)
    won = campaign_move(
        campaign=campaign,
        to=CampaignStatus.FAILED,
        failure_code=code[:40],
        failure_reason=reason,
        finished_at=now,
    )
    if won:
        # Nothing is sent: each recipient says why, so the progress panel is not left Pending.
        recipients_fail_pending(
            campaign_id=campaign.pk,
            code=CAMPAIGN_FAILED,
            reason=_("Campaign failed its check at dispatch: %(reason)s") % {"reason": reason},
        )
    return won


def first_error(error: ValidationError) -> tuple[str, str]:
    """The code and message of the first error (in field order) of a ValidationError."""
    errors = error.error_dict.values() if hasattr(error, "error_dict") else [error.error_list]
    for field_errors in errors:
        for item in field_errors:
            message = item.message % item.params if item.params else item.message
            return item.code or "invalid", str(message)
    return "invalid", str(error)


def scheduler_tick(*, now: dt.datetime | None = None, source: str = "beat") -> dict:
    """What the command and Celery beat run: dispatch due campaigns, then settle crashed sends.

    The heartbeat is written first: a tick busy sending (eager Celery) still counts as alive.
    """
    from campaigns.sending.recovery import sending_recover

    scheduler_beat(source=source, now=now)
    dispatched = campaigns_dispatch_due(now=now)
    return {"dispatched": dispatched, **sending_recover()}
