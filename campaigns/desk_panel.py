"""What the Desk's contact panel shows of campaigns: the ones that reached the contact.

The Desk cannot import campaigns (campaigns → desk → bots), so this app registers the reader.
"""

from bots.models import Contact
from campaigns.models import Recipient
from desk.workspace import Reach, register_reach_provider

SHOWN = 5


def campaigns_reaching(contact: Contact) -> list[Reach]:
    recipients = (
        Recipient.objects.filter(contact=contact, sent_at__isnull=False)
        .select_related("campaign")
        .order_by("-sent_at", "-id")[:SHOWN]
    )
    return [
        Reach(label=r.campaign.name, at=r.sent_at, detail=str(r.get_status_display()))
        for r in recipients
    ]


register_reach_provider(campaigns_reaching)
