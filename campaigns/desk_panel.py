"""What the Desk's contact panel shows of campaigns: the ones that reached the contact.

The Desk cannot import campaigns (campaigns → desk → bots), so this app registers the reader.
"""

from django.utils.translation import gettext as _

from bots.models import Contact
from campaigns.models import Recipient
from desk.workspace import Reach, register_reach_provider

SHOWN = 5


def campaigns_reaching(contact: Contact) -> list[Reach]:
    # The few fields the panel prints, not five models' columns: the ticket page asks on every
    # load, and compiling that select_related cost more than running it.
    rows = (
        Recipient.objects.filter(contact=contact, sent_at__isnull=False)
        .order_by("-sent_at", "-id")
        .values_list(
            "sent_at",
            "status",
            "campaign__name",
            "campaign__template__name",
            "campaign__desk_send__id",
            "campaign__desk_send__attendant__name",
            "campaign__desk_send__attendant__email",
        )[:SHOWN]
    )
    statuses = dict(Recipient.Status.choices)
    return [
        Reach(
            label=_label(name, template, sender if desk_send else None),
            at=sent_at,
            detail=str(statuses.get(status, status)),
        )
        for sent_at, status, name, template, desk_send, *sender in rows
    ]


def _label(name: str, template: str, sender: list | None) -> str:
    """A campaign's name; an active message from the Desk (R27) says who sent which template."""
    if sender is None:
        return name
    sender_name, sender_email = sender
    return _("%(template)s, sent from the Desk by %(attendant)s") % {
        "template": template,
        "attendant": sender_name or sender_email,
    }


register_reach_provider(campaigns_reaching)
