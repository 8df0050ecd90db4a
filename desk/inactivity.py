"""Inactivity (R24): warn a silent customer, then close the ticket; flag unanswered customers.

The clocks live on the ticket and are kept by the two sides of the conversation: the attendant's
answer starts ``customer_silent_since`` (and ends ``awaiting_reply_since``), the customer's message
does the opposite (``desk.inbound``). The Desk timers call the functions below every few seconds;
each move is a compare-and-set on the clock it read, so running them twice, or in two processes,
warns and closes once. A ticket on hold (Modo de espera) is left alone.
"""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.assignment import attendant_fill_slots
from desk.live import events as live
from desk.models import DeskSettings, Ticket, TicketStatus
from desk.services import reply_window_open, ticket_send_text

logger = logging.getLogger(__name__)
OPEN = TicketStatus.OPEN
WARNING_PAYLOAD = {"desk": "inactivity_warning"}


def _settings_with(field: str):
    return DeskSettings.objects.filter(**{f"{field}__isnull": False}).select_related(
        "inactivity_close_tag"
    )


def _open_of(settings: DeskSettings):
    return Ticket.objects.filter(bot_id=settings.bot_id, status=OPEN, on_hold=False)


def tickets_warn_inactive(*, now: dt.datetime | None = None) -> list[int]:
    """Warn every customer silent for the bot's N minutes since the attendant's last message."""
    now = now or timezone.now()
    warned = []
    for settings in _settings_with("inactivity_warning_minutes"):
        since = now - dt.timedelta(minutes=settings.inactivity_warning_minutes)
        due = _open_of(settings).filter(
            customer_silent_since__lte=since, inactivity_warned_at__isnull=True
        )
        for ticket in due.select_related("bot", "contact").order_by("pk"):
            won = Ticket.objects.filter(
                pk=ticket.pk,
                status=OPEN,
                on_hold=False,
                inactivity_warned_at__isnull=True,
                customer_silent_since=ticket.customer_silent_since,
            ).update(inactivity_warned_at=now)
            if not won:
                continue
            warned.append(ticket.pk)
            text = settings.inactivity_warning_text.strip()
            # Outside WhatsApp's 24 h window only a template may go: the clock still runs.
            if text and reply_window_open(contact=ticket.contact, now=now):
                ticket_send_text(ticket=ticket, attendant=None, text=text, payload=WARNING_PAYLOAD)
    return warned


def tickets_close_inactive(*, now: dt.datetime | None = None) -> list[int]:
    """Close as *closed by client inactivity* whoever stayed silent M minutes after the warning."""
    now = now or timezone.now()
    closed = []
    for settings in _settings_with("inactivity_close_minutes"):
        since = now - dt.timedelta(minutes=settings.inactivity_close_minutes)
        due = _open_of(settings).filter(
            inactivity_warned_at__lte=since, customer_silent_since__isnull=False
        )
        for ticket in due.order_by("pk"):
            if ticket_close_inactive(ticket=ticket, settings=settings, now=now):
                closed.append(ticket.pk)
    return closed


@transaction.atomic
def ticket_close_inactive(*, ticket: Ticket, settings: DeskSettings, now: dt.datetime) -> bool:
    won = Ticket.objects.filter(
        pk=ticket.pk,
        status=OPEN,
        on_hold=False,
        inactivity_warned_at=ticket.inactivity_warned_at,
        customer_silent_since__isnull=False,
    ).update(status=TicketStatus.CLOSED_BY_CLIENT, closed_at=now)
    if not won:
        return False
    if settings.inactivity_close_tag is not None:
        ticket.tags.add(settings.inactivity_close_tag)
    live.ticket_closed(ticket_id=ticket.pk, attendant_id=ticket.attendant_id)
    # The slot is free: the next waiting customer goes to the attendant (R21).
    attendant_fill_slots(attendant_id=ticket.attendant_id, now=now)
    return True


def tickets_flag_unanswered(*, now: dt.datetime | None = None) -> int:
    """Flag, for the supervisor board, customers waiting K minutes for their attendant's answer."""
    now = now or timezone.now()
    flagged = 0
    for settings in _settings_with("unanswered_flag_minutes"):
        since = now - dt.timedelta(minutes=settings.unanswered_flag_minutes)
        flagged += Ticket.objects.filter(
            bot_id=settings.bot_id,
            status=OPEN,
            awaiting_reply_since__lte=since,
            unanswered_flagged_at__isnull=True,
        ).update(unanswered_flagged_at=now)
    return flagged


@transaction.atomic
def ticket_set_hold(*, ticket: Ticket, on_hold: bool, now: dt.datetime | None = None) -> Ticket:
    """Put an open ticket on hold (Modo de espera) or take it off: held tickets never time out.

    Off hold, the customer's silence is counted again from now when it is their turn.
    """
    now = now or timezone.now()
    if ticket.status != OPEN:
        raise ValidationError(_("Only an open ticket can be put on hold."), code="ticket_not_open")
    fields: dict = {"on_hold": on_hold}
    if not on_hold:
        fields["inactivity_warned_at"] = None
        fields["customer_silent_since"] = None if ticket.awaiting_reply_since else now
    won = Ticket.objects.filter(Q(on_hold=not on_hold), pk=ticket.pk, status=OPEN).update(**fields)
    ticket.refresh_from_db()
    if not won and ticket.on_hold != on_hold:
        raise ValidationError(_("This ticket changed meanwhile."), code="ticket_changed")
    return ticket
