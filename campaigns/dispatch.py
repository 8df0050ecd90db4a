"""The hand-off from a validated campaign to the sending engine.

``campaign_submit`` is the one entry point the wizard, the admin and any API call: it validates the
campaign again (R5–R9) and then either schedules it or starts sending it now. ``campaign_create``
stores a whole campaign with its audience and submits it, in one transaction.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from campaigns import jobs, validation
from campaigns.audience import AudienceError
from campaigns.audience_store import AudienceMember, audience_store
from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_move, campaign_new, campaign_set_audience_counts


@transaction.atomic
def campaign_submit(*, campaign: Campaign) -> Campaign:
    """Validate and hand a Draft campaign to the engine: Scheduled, or Sending right away."""
    validation.validate_campaign_for_send(campaign=campaign)
    if campaign.attendant_id is not None or campaign.attendant is not None:
        # Who receives the reply, and the absent attendant a substitute stands in for (R23).
        Campaign.objects.filter(pk=campaign.pk).update(
            attendant=campaign.attendant, absent_attendant=campaign.absent_attendant
        )
    if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
        campaign_move(campaign=campaign, to=CampaignStatus.SCHEDULED)
        return campaign
    campaign_move(campaign=campaign, to=CampaignStatus.SENDING, dispatched_at=timezone.now())
    transaction.on_commit(lambda: jobs.start_sending(campaign_id=campaign.pk))
    return campaign


@transaction.atomic
def campaign_create(*, audience: Iterable[AudienceMember | AudienceError], **fields) -> Campaign:
    """Create the Draft campaign, its contacts and recipients, then hand it to the engine.

    ``fields`` are ``campaign_new``'s. ``audience`` yields members, or parser errors the operator
    chose to skip (counted). Everything happens in one transaction: a refusal by
    ``campaign_submit`` (R5–R9) leaves nothing behind.
    """
    campaign = campaign_new(**fields)
    campaign.save()
    counts = audience_store(campaign=campaign, audience=audience)
    campaign_set_audience_counts(campaign=campaign, counts=counts)
    return campaign_submit(campaign=campaign)
