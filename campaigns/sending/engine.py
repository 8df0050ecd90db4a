"""Sending one batch of recipients: claim, send, record, route; and closing the campaign.

R17 rests on two compare-and-set updates per recipient: Pending → Sending (the claim; only one
worker or retried task can win it, taken just before that recipient's send) and Sending → Sent
after the gateway accepted the message. A send whose answer was lost is never retried: the
recipient ends Failed "unknown outcome" unless a delivery event later proves it arrived.

Recording the accepted sends is buffered: every ``SENDING_RECORD_FLUSH`` sends (and at the end of
the batch, or before an unexpected error leaves it) one transaction moves them to Sent and writes
their channel-log messages and reply routing in bulk. A worker dying before a flush leaves those
recipients Sending, which recovery already settles as "unknown outcome" (a delivery event later
corrects them) — the same as a worker dying between the send and its record.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
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
from campaigns import metrics
from campaigns.models import Campaign, CampaignStatus, Recipient
from campaigns.sending.effects import SentRecord, send_effects_write
from campaigns.sending.ratelimit import get_limiter
from campaigns.sending.render import components_for
from campaigns.services import campaign_move
from campaigns.signals import recipients_status_changed

logger = logging.getLogger(__name__)
_sleep = time.sleep  # a seam: tests skip the backoff without freezing every thread's sleep

SEND_ATTEMPTS = 5
RECORD_FLUSH = 50  # accepted sends recorded per transaction (setting SENDING_RECORD_FLUSH)
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
        recipients = (
            Recipient.objects.filter(pk__in=recipient_ids, campaign=campaign, status=S.PENDING)
            .select_related("contact")
            .order_by("pk")
        )
        sent = _send_batch(campaign=campaign, recipients=list(recipients))
    campaign_finish_if_done(campaign_id=campaign_id)
    return sent


def _send_batch(*, campaign: Campaign, recipients: list[Recipient]) -> int:
    """Send one by one, recording the accepted sends every ``SENDING_RECORD_FLUSH`` of them."""
    gateway = get_gateway()
    every = max(1, getattr(settings, "SENDING_RECORD_FLUSH", RECORD_FLUSH))
    buffer: list[SentRecord] = []
    sent = 0
    try:
        for recipient in recipients:
            recipient.campaign = campaign  # loaded once per batch with everything it points to
            record = send_one(recipient=recipient, gateway=gateway)
            if record is None:
                continue
            sent += 1
            buffer.append(record)
            if len(buffer) >= every:
                flushing, buffer = buffer, []  # a failed flush is not tried again below
                recipients_record_sent(campaign=campaign, sends=flushing)
    finally:
        # Also when an unexpected error stops the batch: what the gateway accepted gets recorded.
        recipients_record_sent(campaign=campaign, sends=buffer)
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
    metrics.count_failed(code, won)
    if won:
        recipients_status_changed(
            campaign_id=recipient.campaign_id, recipient_ids=[recipient.pk], status=S.FAILED
        )
    return bool(won)


def send_one(*, recipient: Recipient, gateway) -> SentRecord | None:
    """Claim and send one recipient; what to record when this call sent it, else None.

    A failure is recorded at once; a success is left to the caller to record (buffered).
    """
    if not recipient_claim(recipient=recipient):
        return None
    campaign, contact = recipient.campaign, recipient.contact
    if contact.opted_out:
        recipient_fail(recipient=recipient, code=OPTED_OUT, reason=_("The contact opted out."))
        return None
    try:
        components = components_for(campaign.template, recipient.parameters or {})
    except ValueError as exc:
        recipient_fail(recipient=recipient, code=INVALID_PARAMETERS, reason=str(exc))
        return None
    try:
        gateway_id = _deliver(recipient, gateway, components)
    except UnknownOutcomeError as exc:
        reason = _("Unknown outcome: %(detail)s") % {"detail": exc.reason}
        recipient_fail(recipient=recipient, code=UNKNOWN_OUTCOME, reason=reason)
        return None
    except TransientGatewayError as exc:
        recipient_fail(recipient=recipient, code=GATEWAY_TRANSIENT, reason=exc.reason)
        return None
    except GatewayError as exc:
        recipient_fail(recipient=recipient, code=GATEWAY_PERMANENT, reason=exc.reason)
        return None
    except ValueError as exc:  # the gateway refused our input before sending anything
        recipient_fail(recipient=recipient, code=INVALID_PARAMETERS, reason=str(exc))
        return None
    return SentRecord(recipient, gateway_id, components, timezone.now())


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


def recipient_record_sent(*, recipient: Recipient, gateway_id: str, components: list) -> bool:
    """Record one accepted send (see ``recipients_record_sent``); True when it moved to Sent."""
    record = SentRecord(recipient, gateway_id, components, timezone.now())
    return recipients_record_sent(campaign=recipient.campaign, sends=[record]) == 1


def recipients_record_sent(*, campaign: Campaign, sends: list[SentRecord]) -> int:
    """Sending → Sent, the messages in the channel log and the reply routing (R11, R12), at once.

    One transaction: a recipient is never Sent without its message row, and a failure leaves the
    whole flush Sending for recovery. Tried twice, because a send of another campaign to the same
    contact racing on the one-current-directive index (or a deadlock) aborts the first try.
    Returns how many moved to Sent.
    """
    if not sends:
        return 0
    for attempt in range(2):
        try:
            with transaction.atomic():
                won = _record(campaign, sends)
            break
        except (IntegrityError, OperationalError):
            if attempt:
                raise
    for record in won:
        recipient = record.recipient
        recipient.status, recipient.sent_at = S.SENT, record.sent_at
        recipient.gateway_message_id = record.gateway_id
    metrics.count_sent(len(won))
    return len(won)


def _record(campaign: Campaign, sends: list[SentRecord]) -> list[SentRecord]:
    # A recovery that meanwhile called a send "unknown outcome" is corrected: it was sent.
    proven = Q(status=S.SENDING) | Q(status=S.FAILED, failure_code=UNKNOWN_OUTCOME)
    won = [
        record
        for record in sends
        if Recipient.objects.filter(proven, pk=record.recipient.pk).update(
            status=S.SENT,
            sent_at=record.sent_at,
            gateway_message_id=record.gateway_id,
            failure_code="",
            failure_reason="",
        )
    ]
    send_effects_write(campaign=campaign, sends=won)
    recipients_status_changed(
        campaign_id=campaign.pk, recipient_ids=[r.recipient.pk for r in won], status=S.SENT
    )
    return won


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
