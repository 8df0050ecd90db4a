"""A Draft saved in the admin, then sent or scheduled from there (issue 8, item 6; R28).

The admin keeps a Draft's audience as the wizard does: one contact typed in (stored as its
recipient when the Draft is saved) or a CSV file (imported when the operator sends it, in the
background like the wizard's large files). ``campaign_send_draft`` is the admin's "send or
schedule": the same checks as the wizard (R1, R3–R9, the schedule, R20) and then
``campaign_submit``, directly or once the import has stored the audience.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import jobs, validation
from campaigns.audience_store import AudienceMember, audience_store
from campaigns.dispatch import campaign_submit
from campaigns.models import Campaign, CampaignStatus, ImportStatus, Recipient
from campaigns.services import AUDIENCE_EMPTY, campaign_set_audience_counts

NOT_DRAFT = "campaign_not_draft"
IMPORTING = "campaign_importing"

SENT_NOW, SCHEDULED, IMPORT_STARTED = "sending", "scheduled", "importing"


@transaction.atomic
def campaign_draft_set_contact(*, campaign: Campaign, phone: str, name: str = "") -> None:
    """The one contact of an individual Draft (replacing any earlier one): its recipient.

    ``phone`` is E.164 (``normalize_phone``); a contact who opted out is refused (R20).
    """
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a Draft can change its audience."), code=NOT_DRAFT)
    validation.check_contact_reachable(bot=campaign.bot, phone=phone)
    Recipient.objects.filter(campaign=campaign).delete()
    counts = audience_store(campaign=campaign, audience=[AudienceMember(phone=phone, name=name)])
    campaign_set_audience_counts(campaign=campaign, counts=counts)


def campaign_send_draft(*, campaign: Campaign) -> str:
    """Send a Draft now or schedule it, as the wizard would; what happened, or ValidationError.

    Returns ``SENT_NOW``, ``SCHEDULED`` or ``IMPORT_STARTED`` (a CSV audience being imported
    in the background; the import submits the campaign when it is stored).
    """
    campaign.refresh_from_db()
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(
            _("Only a Draft can be sent: this campaign is %(status)s.")
            % {"status": campaign.get_status_display()},
            code=NOT_DRAFT,
        )
    if campaign.import_status == ImportStatus.IMPORTING:
        raise ValidationError(
            _("Its audience is being imported: it goes out as soon as that ends."), code=IMPORTING
        )
    validation.check_schedule(scheduled_at=campaign.scheduled_at)
    if campaign.recipients.exists():
        campaign_submit(campaign=campaign)
        return SCHEDULED if campaign.status == CampaignStatus.SCHEDULED else SENT_NOW
    if campaign.kind == Campaign.Kind.BULK and campaign.audience_file:
        return _import_then_submit(campaign)
    raise ValidationError(
        {
            "audience": ValidationError(
                _("The campaign has nobody to send to: give it a contact or a CSV file."),
                code=AUDIENCE_EMPTY,
            )
        }
    )


@transaction.atomic
def _import_then_submit(campaign: Campaign) -> str:
    # The send-time rules first, so a refusal is immediate rather than a Failed import later.
    validation.validate_campaign_for_send(campaign=campaign)
    rows_total = _data_lines(campaign)
    moved = Campaign.objects.filter(
        pk=campaign.pk, status=CampaignStatus.DRAFT, import_status=ImportStatus.NONE
    ).update(
        import_status=ImportStatus.IMPORTING,
        import_rows_total=rows_total,
        import_rows_done=0,
        import_heartbeat_at=timezone.now(),
    )
    if not moved:
        raise ValidationError(_("This campaign changed meanwhile."), code=NOT_DRAFT)
    transaction.on_commit(lambda: jobs.import_audience(campaign_id=campaign.pk))
    return IMPORT_STARTED


def _data_lines(campaign: Campaign) -> int:
    """Lines after the header: what the progress bar counts up to (a cheap newline count)."""
    lines = 0
    with campaign.audience_file.open("rb") as fileobj:
        while chunk := fileobj.read(1 << 16):
            lines += chunk.count(b"\n")
    return max(0, lines - 1)
