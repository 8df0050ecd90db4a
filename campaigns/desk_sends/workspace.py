"""The Desk send in the attendant's workspace, which must not import campaigns.

The workspace asks its registered providers what an attendant may open: an allowed attendant
gets *New active message* and *Sent by me* in the toolbar, and *Send an active message* on a
customer's card (prefilled with that customer). Desk messages are named as such in the list of
campaigns that reached a contact.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from bots.models import Contact
from campaigns.desk_sends.selectors import is_allowed
from desk.models import Attendant
from desk.workspace import AttendantAction, register_action_provider


def desk_send_actions(attendant: Attendant, contact: Contact | None) -> list[AttendantAction]:
    # The ticket page asks twice (the toolbar, the customer's card): one read per attendant object.
    allowed = getattr(attendant, "_desk_send_allowed", None)
    if allowed is None:
        allowed = attendant._desk_send_allowed = is_allowed(attendant=attendant)
    if not allowed:
        return []
    new = f"{reverse('desk_sends:new')}?attendant={attendant.pk}"
    if contact is not None:
        return [
            AttendantAction(
                key="desk-send-contact",
                label=_("Send an active message"),
                url=f"{new}&contact={contact.pk}",
                primary=True,
            )
        ]
    return [
        AttendantAction(key="desk-send", label=_("New active message"), url=new, primary=True),
        AttendantAction(
            key="desk-sent",
            label=_("Sent by me"),
            url=f"{reverse('desk_sends:list')}?attendant={attendant.pk}",
        ),
    ]


register_action_provider(desk_send_actions)
