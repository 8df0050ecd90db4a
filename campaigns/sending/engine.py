"""Sending one batch of recipients, chunk by chunk; and closing the campaign.

A batch (a task's list of ids) is worked in chunks of ``SENDING_CHUNK_SIZE`` (fewer when the
bot's rate limit would make a chunk last more than ``CHUNK_SECONDS``): one statement
claims the chunk (``claims.recipients_claim``: Pending → Sending, compare-and-set, so R17 holds
whatever retries, crashes or concurrent workers), its sends go out several at a time (at most
``SENDING_CONCURRENCY``; how many is learnt from the gateway's pace, ``inflight``) over
kept-alive connections (``transmit``), then one transaction records the whole chunk
(``claims.recipients_record``) — while the next chunk's sends are already going out (on a
full machine with one sender, on the worker's own thread, one after the other). A send
whose answer was lost is never retried: the recipient ends Failed "unknown outcome" unless a
delivery event later proves it arrived. A worker dying mid-batch leaves at most its two chunks
in flight Sending, which recovery settles the same way.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.gateway import get_gateway
from campaigns.models import Campaign, CampaignStatus, Recipient
from campaigns.sending.claims import recipients_claim, recipients_record
from campaigns.sending.codes import (  # noqa: F401 (the engine's codes, imported from here)
    CAMPAIGN_FAILED,
    GATEWAY_PERMANENT,
    GATEWAY_TRANSIENT,
    INVALID_PARAMETERS,
    NO_RECIPIENTS,
    OPTED_OUT,
    UNKNOWN_OUTCOME,
)
from campaigns.sending.effects import SentRecord
from campaigns.sending.inflight import in_flight_for
from campaigns.sending.transmit import (
    SEND_ATTEMPTS,
    ChunkError,
    ChunkSends,
    message_id_for,
    sends_outcomes,
    sends_start,
)
from campaigns.services import campaign_move

__all__ = ["SEND_ATTEMPTS", "message_id_for", "send_recipients"]

logger = logging.getLogger(__name__)

CHUNK_SIZE = 250  # recipients claimed, sent and recorded together (setting SENDING_CHUNK_SIZE);
# each chunk costs a fixed round of statements and commits: at 100 the database spent 0.091 ms of
# CPU per message on a loopback fan-out, at 250 0.072 (and the workers 5 % less)
CHUNK_SECONDS = 1  # ... but never more than this many seconds of the bot's rate limit
CONCURRENCY = 8  # at most this many sends in flight per worker process (SENDING_CONCURRENCY);
# how many below it is learnt from the gateway's pace (``inflight``)

S = Recipient.Status


def send_recipients(*, campaign_id: int, recipient_ids: list[int]) -> int:
    """Send every recipient of the batch this worker manages to claim; returns how many sent."""
    campaign = (
        Campaign.objects.select_related("bot", "template", "routing_bot", "flow_block")
        .select_related("team", "attendant", "absent_attendant", "routing_bot__router")
        .select_related("bot__router")
        .get(pk=campaign_id)
    )
    sent = 0
    if campaign.status == CampaignStatus.SENDING:
        sent = _send_batch(campaign=campaign, ids=sorted(recipient_ids))
    campaign_finish_if_done(campaign_id=campaign_id)
    return sent


def chunk_size(*, rate_per_second: int) -> int:
    """Recipients per chunk: ``SENDING_CHUNK_SIZE``, or fewer when the bot's rate is low.

    Every claim and record costs a fixed round of statements, so big chunks are cheap; but the
    two chunks a worker has in flight are what it leaves in "unknown outcome" if it dies, so a
    chunk is also kept to about ``CHUNK_SECONDS`` of sending at the bot's rate (0: no limit).
    """
    size = max(1, getattr(settings, "SENDING_CHUNK_SIZE", CHUNK_SIZE))
    if rate_per_second > 0:
        size = min(size, max(1, rate_per_second * CHUNK_SECONDS))
    return size


def _send_batch(*, campaign: Campaign, ids: list[int]) -> int:
    """Claim, send and record chunk after chunk, two at a time: the next chunk's sends go out
    while the one before is recorded, so the senders never wait for the database. On a full
    machine with one sender (``InFlight.inline``) the sends go out on this thread instead, the
    record after them: no core is free to overlap them on, and two threads would only hand the
    GIL back and forth.

    A worker dying here leaves at most those two chunks Sending. When recording raises, the
    chunk already on the wire is still waited for and recorded (its messages left) before the
    error stops the batch.
    """
    size = chunk_size(rate_per_second=campaign.bot.rate_limit_per_second)
    ceiling = max(1, getattr(settings, "SENDING_CONCURRENCY", CONCURRENCY))
    tuner = in_flight_for(bot_id=campaign.bot_id, ceiling=ceiling)
    gateway = get_gateway(defer_identities=True)
    sent = 0
    with ThreadPoolExecutor(max_workers=ceiling, thread_name_prefix="send") as pool:
        on_the_wire = None  # the chunk going out (``ChunkSends``)
        try:
            for start in range(0, len(ids), size):
                claimed = recipients_claim(campaign=campaign, ids=ids[start : start + size])
                previous = on_the_wire
                if claimed:
                    senders = tuner.choose()
                    on_the_wire = sends_start(
                        pool=None if tuner.inline(senders) else pool, recipients=claimed,
                        gateway=gateway, workers=senders, after=previous,
                    )  # fmt: skip
                else:
                    on_the_wire = None
                if previous is not None:
                    sent += _chunk_finish(campaign, previous, gateway, tuner)
            if on_the_wire is not None:
                last, on_the_wire = on_the_wire, None
                sent += _chunk_finish(campaign, last, gateway, tuner)
        except BaseException:
            if on_the_wire is not None:
                _chunk_finish_quietly(campaign, on_the_wire, gateway)
            raise
    return sent


def _chunk_finish(campaign: Campaign, chunk: ChunkSends, gateway, tuner=None) -> int:
    """Wait for a chunk's sends and record them in one transaction; how many moved to Sent."""
    try:
        outcomes = sends_outcomes(chunk)
        if tuner is not None:
            tuner.observe(
                chunk.senders, len(chunk.recipients), chunk.seconds(),
                cpu_seconds=chunk.cpu_seconds(), busy=chunk.machine_busy(),
            )  # fmt: skip
    except ChunkError as error:
        # What the gateway accepted is recorded before the error stops the batch.
        identities = gateway.take_resolved_identities()
        recipients_record(campaign=campaign, outcomes=error.outcomes, identities=identities)
        raise error.error from error
    # The WhatsApp identities the sends looked up are kept on their contacts (R18).
    identities = gateway.take_resolved_identities()
    return recipients_record(campaign=campaign, outcomes=outcomes, identities=identities)


def _chunk_finish_quietly(campaign: Campaign, chunk: ChunkSends, gateway) -> None:
    """Record the chunk on the wire when the batch is stopping for another error; if that fails
    too, its recipients stay Sending and recovery settles them."""
    try:
        _chunk_finish(campaign, chunk, gateway)
    except Exception:
        logger.exception("campaign %s: the chunk in flight could not be recorded", campaign.pk)


def recipient_claim(*, recipient: Recipient) -> bool:
    """Claim one recipient (``recipients_claim`` for a chunk of one)."""
    campaign = Campaign.objects.get(pk=recipient.campaign_id)
    won = recipients_claim(campaign=campaign, ids=[recipient.pk])
    if won:
        recipient.status, recipient.claimed_at = S.SENDING, won[0].claimed_at
    return bool(won)


def recipient_record_sent(*, recipient: Recipient, gateway_id: str, components: list) -> bool:
    """Record one accepted send (``recipients_record``); True when it moved to Sent."""
    record = SentRecord(recipient, gateway_id, components, timezone.now())
    campaign = Campaign.objects.select_related("bot__router", "template", "routing_bot").get(
        pk=recipient.campaign_id
    )
    return recipients_record(campaign=campaign, outcomes=[record]) == 1


def campaign_counts(*, campaign_id: int) -> dict[str, int]:
    rows = Recipient.objects.filter(campaign_id=campaign_id).values("status")
    counts = dict.fromkeys(S.values, 0)
    for row in rows.annotate(n=Count("pk")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def _not_done_yet(campaign_id: int) -> bool:
    """True when the campaign is not Sending or still has a recipient Pending or Sending: one
    raw statement on the (campaign, status) index. Every batch asks, nearly always to hear so;
    the ORM's two queries cost more to compile than the answer."""
    campaigns, recipients = Campaign._meta.db_table, Recipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.status <> %s OR EXISTS (SELECT 1 FROM {recipients} r "  # noqa: S608
            f"WHERE r.campaign_id = c.id AND r.status IN (%s, %s)) FROM {campaigns} c "
            "WHERE c.id = %s",
            [CampaignStatus.SENDING, S.PENDING, S.SENDING, campaign_id],
        )
        row = cursor.fetchone()
    return bool(row and row[0])  # an unknown campaign: the ORM's lookup below says so


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Sending → Sent / Sent with failures / Failed once no recipient is Pending or Sending.

    Compare-and-set on Sending: when several batches end at once, exactly one moves it.
    """
    if _not_done_yet(campaign_id):
        return False
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
