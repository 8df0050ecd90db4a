"""Sending one batch of recipients: claim, send, record, route; and closing the campaign.

R17 rests on two compare-and-set updates per recipient: Pending → Sending (the claim; only one
worker or retried task can win it) and Sending → Sent after the gateway accepted the message. A
send whose answer was lost is never retried: the recipient ends Failed "unknown outcome" unless a
delivery event later proves it arrived.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.gateway import (
    GatewayError,
    PermanentGatewayError,
    TransientGatewayError,
    UnknownOutcomeError,
    get_gateway,
)
from bots.gateway.blip import backoff_delay
from bots.models import Message
from bots.services import contact_move_to_block, message_record
from campaigns.models import Campaign, CampaignStatus, Recipient
from campaigns.sending.ratelimit import get_limiter
from campaigns.sending.render import components_for, render_body
from campaigns.services import campaign_move
from desk.services import directive_create

logger = logging.getLogger(__name__)
_sleep = time.sleep  # a seam: tests skip the backoff without freezing every thread's sleep

SEND_ATTEMPTS = 5
UNKNOWN_OUTCOME = "unknown_outcome"
OPTED_OUT = "opted_out"
INVALID_PARAMETERS = "invalid_parameters"
GATEWAY_PERMANENT = "gateway_permanent"
GATEWAY_TRANSIENT = "gateway_retries_exhausted"
CAMPAIGN_FAILED = "campaign_failed"
NO_RECIPIENTS = "no_recipients"

S = Recipient.Status


def message_id_for(recipient: Recipient) -> str:
    """Our id of the recipient's message: delivery events carry it back to the recipient."""
    return f"c{recipient.campaign_id}r{recipient.pk}"


def send_recipients(*, campaign_id: int, recipient_ids: list[int]) -> int:
    """Send every recipient of the batch this worker manages to claim; returns how many sent."""
    campaign = (
        Campaign.objects.select_related("bot", "template", "routing_bot", "flow_block")
        .select_related("team", "attendant", "routing_bot__router", "bot__router")
        .get(pk=campaign_id)
    )
    sent = 0
    if campaign.status == CampaignStatus.SENDING:
        gateway = get_gateway()
        recipients = (
            Recipient.objects.filter(pk__in=recipient_ids, campaign=campaign, status=S.PENDING)
            .select_related("contact")
            .order_by("pk")
        )
        for recipient in recipients:
            recipient.campaign = campaign
            sent += send_one(recipient=recipient, gateway=gateway)
    campaign_finish_if_done(campaign_id=campaign_id)
    return sent


def recipient_claim(*, recipient: Recipient) -> bool:
    now = timezone.now()
    won = Recipient.objects.filter(pk=recipient.pk, status=S.PENDING).update(
        status=S.SENDING, claimed_at=now, attempts=recipient.attempts + 1
    )
    if won:
        recipient.status, recipient.claimed_at = S.SENDING, now
    return bool(won)


def recipient_fail(*, recipient: Recipient, code: str, reason: str) -> bool:
    won = Recipient.objects.filter(pk=recipient.pk, status=S.SENDING).update(
        status=S.FAILED, failure_code=code, failure_reason=(reason or code)[:300]
    )
    return bool(won)


def send_one(*, recipient: Recipient, gateway) -> bool:
    """Claim, send and record one recipient; True when this call sent it."""
    if not recipient_claim(recipient=recipient):
        return False
    campaign, contact = recipient.campaign, recipient.contact
    if contact.opted_out:
        recipient_fail(recipient=recipient, code=OPTED_OUT, reason=_("The contact opted out."))
        return False
    try:
        components = components_for(campaign.template, recipient.parameters or {})
    except ValueError as exc:
        recipient_fail(recipient=recipient, code=INVALID_PARAMETERS, reason=str(exc))
        return False
    try:
        gateway_id = _deliver(recipient, gateway, components)
    except UnknownOutcomeError as exc:
        reason = _("Unknown outcome: %(detail)s") % {"detail": exc.reason}
        recipient_fail(recipient=recipient, code=UNKNOWN_OUTCOME, reason=reason)
        return False
    except TransientGatewayError as exc:
        recipient_fail(recipient=recipient, code=GATEWAY_TRANSIENT, reason=exc.reason)
        return False
    except GatewayError as exc:
        recipient_fail(recipient=recipient, code=GATEWAY_PERMANENT, reason=exc.reason)
        return False
    except ValueError as exc:  # the gateway refused our input before sending anything
        recipient_fail(recipient=recipient, code=INVALID_PARAMETERS, reason=str(exc))
        return False
    recipient_record_sent(recipient=recipient, gateway_id=gateway_id, components=components)
    return True


def _deliver(recipient: Recipient, gateway, components: list[dict]) -> str:
    """Set the reply context, then send; transient failures are retried with jittered backoff.

    The context goes first so that a contact answering at once already lands where the campaign
    says; setting it is idempotent, so a retry may set it again.
    """
    campaign = recipient.campaign
    bot, attempts = campaign.bot, getattr(settings, "SENDING_ATTEMPTS", SEND_ATTEMPTS)
    limiter = get_limiter()
    for attempt in range(attempts):
        try:
            gateway.set_context(
                bot=bot,
                contact=recipient.contact,
                target_bot=campaign.routing_bot,
                block=campaign.flow_block,
            )
            limiter.acquire(f"bot-{bot.pk}", bot.rate_limit_per_second)
            return gateway.send_template(
                bot=bot,
                contact=recipient.contact,
                message_id=message_id_for(recipient),
                template_name=campaign.template.name,
                language=campaign.template.language,
                components=components,
            )
        except TransientGatewayError as exc:
            if attempt + 1 >= attempts:
                raise
            _sleep(max(exc.retry_after or 0.0, backoff_delay(attempt, base=0.2, cap=10.0)))
    raise PermanentGatewayError("no attempt made")  # attempts < 1: a configuration error


@transaction.atomic
def recipient_record_sent(*, recipient: Recipient, gateway_id: str, components: list) -> bool:
    """Sending → Sent, the message in the channel log, and the reply routing (R11, R12)."""
    now = timezone.now()
    # A recovery that meanwhile called this send "unknown outcome" is corrected: it was sent.
    proven = Q(status=S.SENDING) | Q(status=S.FAILED, failure_code=UNKNOWN_OUTCOME)
    won = Recipient.objects.filter(proven, pk=recipient.pk).update(
        status=S.SENT,
        sent_at=now,
        gateway_message_id=gateway_id,
        failure_code="",
        failure_reason="",
    )
    if not won:
        return False
    recipient.status, recipient.sent_at, recipient.gateway_message_id = S.SENT, now, gateway_id
    campaign = recipient.campaign
    message_record(
        bot=campaign.bot,
        contact=recipient.contact,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.TEMPLATE,
        text=render_body(campaign.template, recipient.parameters or {}),
        payload={
            "template": campaign.template.name,
            # What the Desk's history and the contact simulator show of the template.
            "template_name": campaign.template.name,
            "header": {"text": campaign.template.header_text}
            if campaign.template.header_text
            else None,
            "buttons": [{"text": b.get("text", "")} for b in campaign.template.buttons or []],
            "components": components,
            "campaign_id": campaign.pk,
            "recipient_id": recipient.pk,
        },
        status=Message.Status.SENT,
        gateway_message_id=gateway_id,
    )
    apply_routing(campaign=campaign, contact=recipient.contact, sent_at=now)
    return True


def apply_routing(*, campaign: Campaign, contact, sent_at) -> None:
    """Where the contact's reply goes: the flow block, or a directive to the Desk (R11, R12)."""
    if campaign.routing != Campaign.Routing.FLOW:
        directive_create(
            contact=contact,
            bot=campaign.routing_bot,
            sent_at=sent_at,
            source_label=campaign.name,
            source_id=campaign.pk,
            attendant=campaign.attendant
            if campaign.routing == Campaign.Routing.ATTENDANT
            else None,
            team=campaign.team if campaign.routing == Campaign.Routing.TEAM else None,
            human_block=campaign.flow_block,
        )
    if campaign.flow_block is not None or campaign.routing == Campaign.Routing.FLOW:
        contact_move_to_block(contact=contact, bot=campaign.routing_bot, block=campaign.flow_block)


def campaign_counts(*, campaign_id: int) -> dict[str, int]:
    rows = Recipient.objects.filter(campaign_id=campaign_id).values("status")
    counts = dict.fromkeys(S.values, 0)
    for row in rows.annotate(n=Count("pk")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Sending → Sent / Sent with failures / Failed once no recipient is Pending or Sending.

    Compare-and-set on Sending: when several batches end at once, exactly one moves it.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return False
    unfinished = Recipient.objects.filter(
        campaign_id=campaign_id, status__in=[S.PENDING, S.SENDING]
    )
    if unfinished.exists():  # cheap on the (campaign, status) index; counting is not
        return False
    counts = campaign_counts(campaign_id=campaign_id)
    if counts[S.PENDING] or counts[S.SENDING]:
        return False
    total, failed = sum(counts.values()), counts[S.FAILED]
    fields: dict = {"finished_at": timezone.now()}
    if total == 0:
        to = CampaignStatus.FAILED
        fields.update(
            failure_code=NO_RECIPIENTS, failure_reason=_("The campaign has no recipients.")
        )
    elif failed == total:
        to = CampaignStatus.FAILED
        fields.update(failure_code=CAMPAIGN_FAILED, failure_reason=_("No recipient could be sent."))
    else:
        to = CampaignStatus.SENT_WITH_FAILURES if failed else CampaignStatus.SENT
    won = campaign_move(campaign=campaign, to=to, **fields)
    if won:
        logger.info("campaign %s finished: %s %s", campaign_id, to, counts)
    return won
