"""An operator's controls over a campaign that has not gone out: reschedule it, or cancel it.

Cancelling is ``campaigns.services.campaign_cancel``; moving the time is here. Both change the row
only by a compare-and-set filtered on Scheduled, so a scheduler dispatching the campaign at the
same moment either wins before (the operator is told it already went out) or after.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns import validation
from campaigns.models import Campaign, CampaignStatus

NOT_SCHEDULED = "campaign_not_scheduled"


def _not_scheduled() -> ValidationError:
    return ValidationError(
        {
            "scheduled_at": ValidationError(
                _("Only a scheduled campaign that has not gone out can be moved."),
                code=NOT_SCHEDULED,
            )
        }
    )


@transaction.atomic
def campaign_reschedule(*, campaign: Campaign, scheduled_at: dt.datetime) -> Campaign:
    """Move a Scheduled campaign to ``scheduled_at``, after checking it again (R5–R9).

    The dispatch checks it once more when the time comes (R15): an attendant may leave a team
    between now and then.
    """
    if campaign.status != CampaignStatus.SCHEDULED:
        raise _not_scheduled()
    validation.check_schedule(scheduled_at=scheduled_at)
    validation.validate_campaign_for_send(campaign=campaign)
    moved = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED).update(
        scheduled_at=scheduled_at, attendant=campaign.attendant
    )
    if not moved:
        raise _not_scheduled()
    campaign.scheduled_at = scheduled_at
    return campaign
