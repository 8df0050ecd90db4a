"""The campaigns side of the Desk's "contact replied" signal: the recipient becomes Replied."""

from django.db import transaction
from django.dispatch import receiver

from campaigns.models import Recipient, RecipientStatus
from desk.signals import contact_replied

REPLIABLE = (RecipientStatus.SENT, RecipientStatus.DELIVERED, RecipientStatus.READ)


@receiver(contact_replied, dispatch_uid="campaigns_recipient_replied")
def mark_recipient_replied(sender, *, bot, contact, message, at, **kwargs) -> None:
    """Mark the contact's latest sent recipient of a campaign of ``bot`` Replied.

    Compare-and-set on the status just read: a concurrent delivery event can only move it
    forward, and a recipient already Replied (or Failed, Pending) is left alone, never downgraded.
    """
    latest = (
        Recipient.objects.filter(
            contact=contact, campaign__bot=bot.top_level, sent_at__isnull=False
        )
        .order_by("-sent_at", "-id")
        .values_list("id", "status")
        .first()
    )
    if latest is None or latest[1] not in REPLIABLE:
        return
    with transaction.atomic():
        Recipient.objects.filter(pk=latest[0], status=latest[1]).update(
            status=RecipientStatus.REPLIED, replied_at=at
        )
