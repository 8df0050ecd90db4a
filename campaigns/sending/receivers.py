"""Delivery events (Blip notifications or simulated ones) moving recipients forward."""

import re

from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from bots.gateway.events import delivery_event
from campaigns.models import RECIPIENT_RANK, Recipient

S = Recipient.Status
_STATUS = {
    "accepted": S.SENT,
    "dispatched": S.SENT,
    "received": S.DELIVERED,
    "consumed": S.READ,
    "failed": S.FAILED,
}
_TIMESTAMP = {S.DELIVERED: "delivered_at", S.READ: "read_at"}


# The id we send each message with (engine.message_id_for). A recipient whose send ended with
# an unknown outcome never got a gateway id recorded, so the event is matched by this id too.
_OUR_ID = re.compile(r"^(?:outbox:)?c(\d+)r(\d+)$")


def _by_message_id(message_id: str) -> Q:
    match = _OUR_ID.match(message_id or "")
    lookup = Q(gateway_message_id=message_id)
    if match:
        lookup |= Q(campaign_id=int(match[1]), pk=int(match[2]))
    return lookup


@receiver(delivery_event, dispatch_uid="campaigns_recipient_delivery")
def on_delivery_event(sender, *, bot, message_id, event, reason="", **kwargs) -> None:
    recipient_apply_event(bot=bot, message_id=message_id, event=event, reason=reason)


def recipient_apply_event(*, bot, message_id: str, event: str, reason: str = "") -> bool:
    """Move the recipient of ``message_id`` forward; never back (a late event is a no-op)."""
    recipient = (
        Recipient.objects.filter(_by_message_id(message_id), campaign__bot=bot.top_level)
        .only("pk", "status", "sent_at")
        .first()
    )
    if recipient is None:
        return False
    new = _STATUS[event]
    old = recipient.status
    if old == new or not Recipient.can_move(old, new):
        return False
    if old != S.FAILED and new != S.FAILED and RECIPIENT_RANK[new] <= RECIPIENT_RANK[old]:
        return False
    now = timezone.now()
    fields: dict = {"status": new}
    if new == S.FAILED:
        fields.update(failure_code="delivery_failed", failure_reason=(reason or event)[:300])
    else:
        fields.update(failure_code="", failure_reason="")
        if recipient.sent_at is None:
            fields["sent_at"] = now
        if new in _TIMESTAMP:
            fields[_TIMESTAMP[new]] = now
    return bool(Recipient.objects.filter(pk=recipient.pk, status=old).update(**fields))
