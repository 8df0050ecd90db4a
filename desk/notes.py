"""Internal notes on a ticket (R25): for the attendants and supervisors, never for the customer."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from desk.models import Ticket, TicketNote

NOTE_MAX_LENGTH = 2000


def ticket_note_add(*, ticket: Ticket, author, text: str) -> TicketNote:
    """Add a note to the ticket. Nothing goes through the gateway: it stays in the Desk."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": ValidationError(_("Write the note."), code="empty")})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "text": ValidationError(
                    _("A note has at most %(max)s characters."),
                    code="note_too_long",
                    params={"max": NOTE_MAX_LENGTH},
                )
            }
        )
    return TicketNote.objects.create(
        ticket=ticket, author=author if author and author.is_authenticated else None, text=text
    )
