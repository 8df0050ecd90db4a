"""The hand-off from a validated campaign to the sending engine.

``campaign_submit`` is the one entry point the wizard, the admin and any API call: it validates the
campaign again (R5–R9) and then either schedules it or starts sending it now.
"""

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_move


@transaction.atomic
def campaign_submit(*, campaign: Campaign) -> Campaign:
    """Validate and hand a Draft campaign to the engine: Scheduled, or Sending right away."""
    campaign.validate_for_send()
    if campaign.attendant_id is not None or campaign.attendant is not None:
        Campaign.objects.filter(pk=campaign.pk).update(attendant=campaign.attendant)
    if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
        campaign_move(campaign=campaign, to=CampaignStatus.SCHEDULED)
        return campaign
    campaign_move(campaign=campaign, to=CampaignStatus.SENDING, dispatched_at=timezone.now())
    transaction.on_commit(lambda: campaign_start_sending(campaign_id=campaign.pk))
    return campaign


def campaign_start_sending(*, campaign_id: int) -> None:
    """Fan the campaign's recipients out to the sending workers (the sending engine's part)."""
    from campaigns.sending import start_sending  # the engine; see campaigns/sending/

    start_sending(campaign_id=campaign_id)
