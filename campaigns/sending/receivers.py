"""Delivery events (Blip notifications or simulated ones) reach the campaigns through a signal."""

from django.dispatch import receiver

from bots.gateway.events import delivery_event
from campaigns.sending.delivery import recipient_apply_event

__all__ = ["on_delivery_event", "recipient_apply_event"]


@receiver(delivery_event, dispatch_uid="campaigns_recipient_delivery")
def on_delivery_event(sender, *, bot, message_id, event, reason="", **kwargs) -> None:
    recipient_apply_event(bot=bot, message_id=message_id, event=event, reason=reason)
