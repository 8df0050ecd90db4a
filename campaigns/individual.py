"""One active message to one contact, by phone or WhatsApp identity: the API's and the Desk's.

Both name a contact by a phone in any notation or by a WhatsApp identity (R18), and both send
through ``campaign_create`` as an individual campaign, so the same rules refuse them with the
same codes (R5–R9, R16, R23… — R28).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from bots.identities import contact_record_identity
from bots.lime import node_identity, node_to_phone
from bots.models import Contact
from bots.phones import InvalidPhone, normalize_phone
from campaigns import validation
from campaigns.audience_store import AudienceMember
from campaigns.dispatch import campaign_create
from campaigns.forms import AUDIENCE_MESSAGES
from campaigns.models import Campaign

IDENTITY_INVALID = "identity_invalid"
IDENTITY_MARK = "@"


def recipient_address(*, phone: str = "", identity: str = "") -> tuple[str, str]:
    """(E.164 phone, WhatsApp identity or "") of one contact; the identity wins when given.

    A bad value is a ValidationError on the field it came from (``phone`` or ``identity``), with
    the audience CSV's codes for phones (``phone_empty``, ``phone_invalid``).
    """
    identity = (identity or "").strip()
    if identity:
        try:
            return normalize_phone(node_to_phone(identity)), node_identity(identity)
        except (ValueError, InvalidPhone):
            raise ValidationError(
                {
                    "identity": ValidationError(
                        _("%(value)s is not a WhatsApp identity (5511987654321@wa.gw.msging.net)."),
                        code=IDENTITY_INVALID,
                        params={"value": identity},
                    )
                }
            ) from None
    try:
        return normalize_phone(phone or ""), ""
    except InvalidPhone as exc:
        raise ValidationError(
            {
                "phone": ValidationError(
                    AUDIENCE_MESSAGES[exc.code], code=exc.code, params={"value": exc.raw}
                )
            }
        ) from None


def address_from_text(text: str) -> tuple[str, str]:
    """What a person typed on one line: an identity when it has an ``@``, else a phone."""
    text = (text or "").strip()
    if IDENTITY_MARK in text:
        return recipient_address(identity=text)
    return recipient_address(phone=text)


def individual_send_create(
    *, phone: str, identity: str = "", contact_name: str = "", **fields
) -> Campaign:
    """An individual campaign to one contact, created and handed to the engine.

    ``fields`` are ``campaign_new``'s (with ``kind`` individual). An opted-out contact is
    refused (R16/R20); an identity is kept on the contact in the same transaction, so the send
    (started on commit) already uses it. The caller owns the transaction.
    """
    validation.check_contact_reachable(bot=fields["bot"], phone=phone)
    member = AudienceMember(phone=phone, name=contact_name or "")
    campaign = campaign_create(**fields, audience=[member])
    if identity:
        contact = Contact.objects.get(bot=fields["bot"], phone=phone)
        contact_record_identity(contact=contact, identity=identity)
    return campaign
