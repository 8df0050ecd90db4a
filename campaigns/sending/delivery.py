"""Delivery events and replies moving recipients forward, and the work a late proof finishes.

A recipient moves forward only, never back. When an event proves a send that was never recorded
(its outcome was unknown: a lost answer, a killed worker; or it is still between claim and
record), the same compare-and-set that moves the recipient also writes what the send leaves
behind, through ``send_effects_write`` as the engine does: the channel-log message and the reply
routing. "Never recorded" is the empty gateway id, which the engine sets in the very update that
records a send; so whichever of the engine's flush and any number of racing events wins the
row does that work, and only once.

A reply proves delivery and read (R19): the recipient becomes Replied with its delivered and
read times filled in, and a reply to a send whose outcome was unknown records that send too.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bots.models import Message
from campaigns.models import RECIPIENT_RANK, Recipient
from campaigns.sending.effects import SentRecord, send_effects_write
from campaigns.sending.engine import UNKNOWN_OUTCOME, message_id_for
from campaigns.sending.render import components_for
from campaigns.signals import recipients_status_changed

S = Recipient.Status
STATUS_OF_EVENT = {
    "accepted": S.SENT,
    "dispatched": S.SENT,
    "received": S.DELIVERED,
    "consumed": S.READ,
    "failed": S.FAILED,
}
_TIMESTAMP = {S.DELIVERED: "delivered_at", S.READ: "read_at"}
_MESSAGE_STATUS = {
    S.SENT: Message.Status.SENT,
    S.DELIVERED: Message.Status.DELIVERED,
    S.READ: Message.Status.READ,
    S.REPLIED: Message.Status.READ,
}
_ATTEMPTS = 3  # a racing event may move the row between our read and our update

# The id we send each message with (engine.message_id_for). A recipient whose send ended with
# an unknown outcome never got a gateway id recorded, so the event is matched by this id too.
_OUR_ID = re.compile(r"^(?:outbox:)?c(\d+)r(\d+)$")


def _by_message_id(message_id: str) -> Q:
    match = _OUR_ID.match(message_id or "")
    lookup = Q(gateway_message_id=message_id)
    if match:
        lookup |= Q(campaign_id=int(match[1]), pk=int(match[2]))
    return lookup


def recipient_apply_event(*, bot, message_id: str, event: str, reason: str = "") -> bool:
    """Move the recipient of ``message_id`` forward; a late or repeated event is a no-op.

    True when this call moved it. An event proving an unrecorded send also records it.
    """
    new = STATUS_OF_EVENT[event]
    for _attempt in range(_ATTEMPTS):
        recipient = (
            Recipient.objects.filter(_by_message_id(message_id), campaign__bot=bot.top_level)
            .only("pk", "campaign_id", "status", "sent_at", "claimed_at", "gateway_message_id")
            .first()
        )
        if recipient is None or not _moves(recipient.status, new):
            return False
        with transaction.atomic():
            if _advance(recipient, new, message_id, reason):
                return True
    return False


def _moves(old: str, new: str) -> bool:
    if old == new or not Recipient.can_move(old, new):
        return False
    return old == S.FAILED or new == S.FAILED or RECIPIENT_RANK[new] > RECIPIENT_RANK[old]


def _advance(recipient: Recipient, new: str, message_id: str, reason: str) -> bool:
    now = timezone.now()
    unrecorded = not recipient.gateway_message_id and new != S.FAILED
    fields: dict = {"status": new}
    if new == S.FAILED:
        fields.update(failure_code="delivery_failed", failure_reason=(reason or "failed")[:300])
    else:
        fields.update(failure_code="", failure_reason="")
        if recipient.sent_at is None:
            # The send happened right after its claim; the event may come much later.
            fields["sent_at"] = recipient.claimed_at or now
        if new in _TIMESTAMP:
            fields[_TIMESTAMP[new]] = now
        if unrecorded:
            fields["gateway_message_id"] = message_id[:100]
    won = Recipient.objects.filter(
        pk=recipient.pk, status=recipient.status, gateway_message_id=recipient.gateway_message_id
    ).update(**fields)
    if won and unrecorded:
        late_send_record(
            recipient_id=recipient.pk,
            gateway_id=message_id[:100],
            sent_at=fields.get("sent_at") or recipient.sent_at,
            status=_MESSAGE_STATUS[new],
        )
    if won:
        recipients_status_changed(
            campaign_id=recipient.campaign_id, recipient_ids=[recipient.pk], status=new
        )
    return bool(won)


def late_send_record(*, recipient_id: int, gateway_id: str, sent_at: dt.datetime, status: str):
    """Write what a send proven late leaves behind (message, routing), as the engine would.

    The caller has just won the compare-and-set that marks the send recorded, in this
    transaction.
    """
    recipient = Recipient.objects.select_related(
        "contact",
        "campaign__bot__router",
        "campaign__template",
        "campaign__routing_bot__router",
        "campaign__flow_block",
        "campaign__team",
        "campaign__attendant",
    ).get(pk=recipient_id)
    campaign = recipient.campaign
    try:
        components = components_for(campaign.template, recipient.parameters or {})
    except ValueError:
        components = []  # it went out, so it had them; the history can do without
    record = SentRecord(recipient, gateway_id, components, sent_at)
    send_effects_write(campaign=campaign, sends=[record], status=status, late=True)


# A reply answers the latest send: these statuses become Replied (R19). A Failed send whose
# outcome was unknown is proven by the reply; any other failure stays what it was.
REPLIABLE = (S.SENT, S.DELIVERED, S.READ)


def recipient_mark_replied(*, bot, contact, at: dt.datetime) -> bool:
    """Mark the contact's latest send of a campaign of ``bot`` Replied, delivered and read.

    Compare-and-set on the status just read: a racing delivery event can only move it forward;
    Replied, Pending or failed recipients are left alone, never downgraded or revived.
    """
    latest = _latest_send(bot=bot, contact=contact)
    if latest is None:
        return False
    proven = not latest.gateway_message_id and (
        latest.status == S.SENDING or latest.failure_code == UNKNOWN_OUTCOME
    )
    if latest.status not in REPLIABLE and not proven:
        return False
    fields = {
        "status": S.REPLIED,
        "replied_at": at,
        "delivered_at": Coalesce("delivered_at", Value(at)),
        "read_at": Coalesce("read_at", Value(at)),
        "failure_code": "",
        "failure_reason": "",
    }
    if proven:
        fields.update(sent_at=latest.claimed_at or at, gateway_message_id=message_id_for(latest))
    with transaction.atomic():
        won = Recipient.objects.filter(
            pk=latest.pk, status=latest.status, gateway_message_id=latest.gateway_message_id
        ).update(**fields)
        if won:
            _replied_effects(latest, fields, proven)
    return bool(won)


def _latest_send(*, bot, contact) -> Recipient | None:
    """The contact's latest send of the bot's campaigns, recorded or of unknown outcome."""
    unknown = Q(status=S.FAILED, failure_code=UNKNOWN_OUTCOME, gateway_message_id="")
    return (
        Recipient.objects.filter(
            Q(sent_at__isnull=False) | unknown | Q(status=S.SENDING),
            contact=contact,
            campaign__bot=bot.top_level,
        )
        .annotate(sent=Coalesce("sent_at", "claimed_at"))
        .order_by(F("sent").desc(nulls_last=True), "-id")
        .only(
            "pk",
            "status",
            "campaign_id",
            "claimed_at",
            "sent_at",
            "gateway_message_id",
            "failure_code",
        )
        .first()
    )


def _replied_effects(recipient: Recipient, fields: dict, proven: bool) -> None:
    """In the reply's transaction: a proven send recorded, or the sent message marked read."""
    if proven:
        late_send_record(
            recipient_id=recipient.pk,
            gateway_id=fields["gateway_message_id"],
            sent_at=fields["sent_at"],
            status=Message.Status.READ,
        )
    elif recipient.gateway_message_id:
        # The send's message in the history: read, as the reply shows.
        Message.objects.filter(
            gateway_message_id=recipient.gateway_message_id,
            direction=Message.Direction.OUTBOUND,
            status__in=[Message.Status.SENT, Message.Status.DELIVERED],
        ).update(status=Message.Status.READ)
    recipients_status_changed(
        campaign_id=recipient.campaign_id, recipient_ids=[recipient.pk], status=S.REPLIED
    )
