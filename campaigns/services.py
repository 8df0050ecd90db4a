"""Writes on templates and campaigns. Status moves go through compare-and-set updates."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.models import Bot, FlowBlock
from campaigns import validation
from campaigns.audience_store import ImportCounts
from campaigns.models import Campaign, CampaignStatus, MessageTemplate
from campaigns.recipient_moves import recipients_fail_pending
from desk.models import Team

AUDIENCE_EMPTY = "audience_empty"
R20_ALL_OPTED_OUT = "R20_all_opted_out"


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
    recipients_fail_pending(
        campaign_id=campaign.pk, code="canceled", reason=_("Campaign canceled before sending.")
    )
    return True


def template_set_status(*, template: MessageTemplate, status: str) -> None:
    if status not in MessageTemplate.Status.values:
        raise ValidationError(
            {"status": ValidationError(_("Unknown status."), code="template_status")}
        )
    MessageTemplate.objects.filter(pk=template.pk).update(status=status)
    template.status = status


# --- Campaign creation (the wizard's single write) -------------------------------------------


def campaign_new(
    *,
    bot: Bot,
    created_by,
    name: str,
    kind: str,
    template: MessageTemplate,
    parameters: dict,
    routing: str,
    routing_bot: Bot,
    flow_block: FlowBlock | None = None,
    team: Team | None = None,
    attendant_email: str = "",
    fallback: str = Campaign.Fallback.WAIT,
    fallback_minutes: int | None = None,
    scheduled_at: datetime | None = None,
) -> Campaign:
    """An unsaved campaign that passed the send-time rules (R1, R3–R9) and full_clean."""
    campaign = Campaign(
        bot=bot,
        created_by=created_by,
        name=name,
        kind=kind,
        template=template,
        parameters=parameters,
        routing=routing,
        routing_bot=routing_bot,
        flow_block=flow_block,
        team=team,
        attendant_email=(attendant_email or "").strip().lower(),
        fallback=fallback,
        fallback_minutes=fallback_minutes if fallback == Campaign.Fallback.TEAM else None,
        scheduled_at=scheduled_at,
    )
    # The rule checks first, so a refusal carries the rule's code (R5–R9) rather than a bare
    # constraint message; they run again in campaign_submit once the audience is stored.
    validation.validate_campaign_for_send(campaign=campaign)
    campaign.full_clean()
    return campaign


def campaign_set_audience_counts(*, campaign: Campaign, counts: ImportCounts) -> None:
    """Record the audience's counts; an audience with nobody to send to is refused."""
    if counts.size == 0 and counts.opted_out:
        raise ValidationError(
            {
                "audience": ValidationError(
                    _("Everybody in the audience opted out of this bot's active messages."),
                    code=R20_ALL_OPTED_OUT,
                )
            }
        )
    if counts.size == 0:
        raise ValidationError(
            {
                "audience": ValidationError(
                    _("The audience has nobody to send to."), code=AUDIENCE_EMPTY
                )
            }
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        audience_size=counts.size, skipped_rows=counts.skipped, opted_out_count=counts.opted_out
    )
    campaign.audience_size = counts.size
    campaign.skipped_rows = counts.skipped
    campaign.opted_out_count = counts.opted_out
