"""The campaigns side of the Desk's "contact replied" signal: the recipient becomes Replied."""

from django.dispatch import receiver

from campaigns.sending.delivery import recipient_mark_replied
from desk.signals import contact_replied


@receiver(contact_replied, dispatch_uid="campaigns_recipient_replied")
def mark_recipient_replied(sender, *, bot, contact, message, at, **kwargs) -> None:
    recipient_mark_replied(bot=bot, contact=contact, at=at)
