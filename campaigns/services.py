"""Writes on templates and campaigns. Status moves go through compare-and-set updates."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignStatus, MessageTemplate, Recipient


class IllegalTransition(ValidationError):
    pass


def campaign_move(*, campaign: Campaign, to: str, **fields) -> bool:
    """Move ``campaign`` to status ``to`` if it is still in the status we read; True on success.

    The UPDATE is filtered on the old status, so two processes racing for the same move cannot
    both win, on SQLite as on PostgreSQL.
    """
    old = campaign.status
    if not Campaign.can_move(old, to):
        raise IllegalTransition(
            _("A campaign cannot go from %(old)s to %(new)s."),
            code="campaign_illegal_transition",
            params={"old": old, "new": to},
        )
    won = Campaign.objects.filter(pk=campaign.pk, status=old).update(status=to, **fields) == 1
    if won:
        campaign.status = to
        for name, value in fields.items():
            setattr(campaign, name, value)
    return won


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> bool:
    """Cancel a campaign not yet finished; recipients not yet claimed are failed as canceled.

    Batches already queued then find no Pending recipient to claim, so they send nothing; a
    recipient claimed before the cancel is already on its way and ends Sent or Failed.
    """
    if campaign.is_final:
        return False
    if not campaign_move(campaign=campaign, to=CampaignStatus.CANCELED, finished_at=timezone.now()):
        return False
    Recipient.objects.filter(campaign=campaign, status=Recipient.Status.PENDING).update(
        status=Recipient.Status.FAILED,
        failure_code="canceled",
        failure_reason=_("Campaign canceled before sending."),
    )
    return True


def template_set_status(*, template: MessageTemplate, status: str) -> None:
    if status not in MessageTemplate.Status.values:
        raise ValidationError(
            {"status": ValidationError(_("Unknown status."), code="template_status")}
        )
    MessageTemplate.objects.filter(pk=template.pk).update(status=status)
    template.status = status
