"""No campaign stays "importing" forever: the periodic sweep of lost audience imports.

A background import (``campaigns.importing``) beats while it works: the task's start, every
progress report and its end move ``import_heartbeat_at``. An import whose heartbeat is older than
``IMPORT_STALL`` lost its task (a worker killed, a broker emptied, a message dropped): the sweep
enqueues it again, at most ``IMPORT_ATTEMPTS`` times in all, then ends the campaign Failed with
``audience_import_lost``, its file kept. Running the import twice is harmless (one recipient per
contact and campaign), and the compare-and-set on the heartbeat lets only one sweeper re-enqueue.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import jobs
from campaigns.models import Campaign, CampaignStatus, ImportStatus

logger = logging.getLogger(__name__)

IMPORT_STALL = dt.timedelta(minutes=10)  # far longer than a progress report ever takes
IMPORT_ATTEMPTS = 3
IMPORT_LOST = "audience_import_lost"


def imports_resume_lost(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """Re-enqueue the imports that stopped beating; fail those out of attempts."""
    now = now or timezone.now()
    stall = dt.timedelta(seconds=getattr(settings, "IMPORT_STALL_SECONDS", IMPORT_STALL.seconds))
    attempts = getattr(settings, "IMPORT_ATTEMPTS", IMPORT_ATTEMPTS)
    silent = Q(import_heartbeat_at__lt=now - stall)
    # Imports started before the heartbeat existed: judged by the campaign's creation.
    silent |= Q(import_heartbeat_at__isnull=True, created_at__lt=now - stall)
    lost = Campaign.objects.filter(
        silent, status=CampaignStatus.DRAFT, import_status=ImportStatus.IMPORTING
    ).order_by("pk")
    report: dict[str, list[int]] = {"resumed": [], "failed": []}
    for campaign in lost.only("pk", "status", "import_heartbeat_at", "import_attempts"):
        if campaign.import_attempts >= attempts:
            if _give_up(campaign, now):
                report["failed"].append(campaign.pk)
        elif _resume(campaign, now):
            report["resumed"].append(campaign.pk)
    if report["resumed"] or report["failed"]:
        logger.warning("lost audience imports: %s", report)
    return report


def _resume(campaign: Campaign, now: dt.datetime) -> bool:
    with transaction.atomic():
        won = Campaign.objects.filter(
            pk=campaign.pk,
            import_status=ImportStatus.IMPORTING,
            import_heartbeat_at=campaign.import_heartbeat_at,
        ).update(import_heartbeat_at=now)
        if won:
            transaction.on_commit(lambda: jobs.import_audience(campaign_id=campaign.pk))
    return bool(won)


def _give_up(campaign: Campaign, now: dt.datetime) -> bool:
    from campaigns.importing import campaign_fail_import

    return campaign_fail_import(
        campaign=campaign,
        code=IMPORT_LOST,
        reason=_(
            "The audience import stopped %(n)d times without finishing; the file is kept on "
            "the campaign. Create the campaign again, or ask the administrator to check the "
            "workers."
        )
        % {"n": campaign.import_attempts},
    )
