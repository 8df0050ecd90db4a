"""What the Desk's contact panel shows of campaigns: the ones that reached the contact.

The Desk cannot import campaigns (campaigns → desk → bots), so this app registers the reader.
"""

from django.utils.translation import gettext as _

from bots.models import Contact
from campaigns.models import DeskSend, Recipient
from desk.workspace import Reach, register_reach_provider

SHOWN = 5


def campaigns_reaching(contact: Contact) -> list[Reach]:
    recipients = (
        Recipient.objects.filter(contact=contact, sent_at__isnull=False)
        .select_related("campaign__template", "campaign__desk_send__attendant")
        .order_by("-sent_at", "-id")[:SHOWN]
    )
    return [
        Reach(label=_label(r.campaign), at=r.sent_at, detail=str(r.get_status_display()))
        for r in recipients
    ]


def _label(campaign) -> str:
    """A campaign's name; an active message from the Desk (R27) says who sent which template."""
    try:
        sender = campaign.desk_send.attendant
    except DeskSend.DoesNotExist:
        return campaign.name
    return _("%(template)s, sent from the Desk by %(attendant)s") % {
        "template": campaign.template.name,
        "attendant": sender.name or sender.email,
    }


register_reach_provider(campaigns_reaching)
