"""The campaigns' part of merging two contact rows of one person (R18, ``bots.merge``).

A campaign may hold a recipient for each row (its audience had both forms of the phone). One
recipient per contact and campaign survives: the one furthest along (Replied over Read over …,
anything over Failed), completed with the other's delivery times; the other row is deleted.
"""

from django.dispatch import receiver

from bots.merge import contact_merging
from campaigns.models import RECIPIENT_RANK, Recipient

_TIMES = ("sent_at", "delivered_at", "read_at", "replied_at")


def _progress(recipient: Recipient) -> int:
    return RECIPIENT_RANK.get(recipient.status, -1)


@receiver(contact_merging, dispatch_uid="campaigns_contact_merging")
def settle_recipients(sender, *, keep, drop, **kwargs) -> None:
    theirs = {r.campaign_id: r for r in Recipient.objects.filter(contact=drop)}
    if not theirs:
        return
    for ours in Recipient.objects.filter(contact=keep, campaign_id__in=list(theirs)):
        other = theirs[ours.campaign_id]
        stays, goes = (other, ours) if _progress(other) > _progress(ours) else (ours, other)
        times = {
            name: getattr(goes, name)
            for name in _TIMES
            if getattr(stays, name) is None and getattr(goes, name) is not None
        }
        goes.delete()
        if times:
            Recipient.objects.filter(pk=stays.pk).update(**times)
