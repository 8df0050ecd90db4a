"""Delivery events of sent messages, whichever backend reported them.

Both the Blip notification webhook and the outbox's simulated events go through
``delivery_event_apply``: it moves the channel log's message forward (never back) and tells the
higher apps through the ``delivery_event`` signal, since ``bots`` imports neither of them.
"""

from __future__ import annotations

from django.dispatch import Signal

from bots.models import Bot, Message

# LIME notification events; the simulator may use the plain words as well.
EVENTS = ("accepted", "dispatched", "received", "consumed", "failed")
ALIASES = {"sent": "dispatched", "delivered": "received", "read": "consumed"}

_MESSAGE_STATUS = {
    "accepted": Message.Status.SENT,
    "dispatched": Message.Status.SENT,
    "received": Message.Status.DELIVERED,
    "consumed": Message.Status.READ,
    "failed": Message.Status.FAILED,
}
_RANK = {
    Message.Status.PENDING: 0,
    Message.Status.SENT: 1,
    Message.Status.FAILED: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.READ: 3,
}

# Sent with ``bot``, ``message_id`` (the id the gateway knows), ``event``, ``reason`` and
# ``advanced`` (whether the channel log's message moved: a repeated or late event does not).
delivery_event = Signal()


def normalize_event(event: str) -> str:
    """The LIME event name of ``event``; ValueError when it is none."""
    name = ALIASES.get(event, event)
    if name not in EVENTS:
        raise ValueError(f"unknown delivery event {event!r}")
    return name


def delivery_event_apply(*, bot: Bot, message_id: str, event: str, reason: str = "") -> None:
    event = normalize_event(event)
    moved = message_status_advance(bot=bot, message_id=message_id, event=event, reason=reason)
    delivery_event.send(
        sender=Message,
        bot=bot.top_level,
        message_id=message_id,
        event=event,
        reason=reason,
        advanced=bool(moved),
    )


def message_status_advance(*, bot: Bot, message_id: str, event: str, reason: str = "") -> int:
    """Move the outbound message forward; a late or repeated event never moves it back."""
    new = _MESSAGE_STATUS[event]
    older = [status for status, rank in _RANK.items() if rank < _RANK[new]]
    if new == Message.Status.FAILED:
        older = [Message.Status.PENDING, Message.Status.SENT]
    elif new == Message.Status.SENT:
        # A failure of unknown outcome is corrected by an event that proves the send.
        older = [Message.Status.PENDING, Message.Status.FAILED]
    else:
        older.append(Message.Status.FAILED)
    fields = {"status": new}
    if new == Message.Status.FAILED:
        fields["failure_reason"] = (reason or "failed")[:300]
    return Message.objects.filter(
        bot=bot.top_level,
        gateway_message_id=message_id,
        direction=Message.Direction.OUTBOUND,
        status__in=older,
    ).update(**fields)
