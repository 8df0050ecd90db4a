"""Reads of the Desk send: who may send, the cap, whom to offer, what was sent."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet

from bots.models import Bot, Contact
from bots.phones import format_phone
from campaigns.models import (
    DeskSend,
    DeskSender,
    DeskSendSettings,
    MessageTemplate,
    Recipient,
)
from campaigns.models.desk_sends import DEFAULT_CAP_WINDOW_HOURS, DEFAULT_CONTACT_CAP
from campaigns.selectors import approved_templates
from desk.models import Attendant, Ticket

RECENT_CONTACTS = 30


@dataclass(frozen=True)
class Cap:
    """At most ``count`` Desk messages per contact in any ``hours`` in a row."""

    count: int = DEFAULT_CONTACT_CAP
    hours: int = DEFAULT_CAP_WINDOW_HOURS


def is_allowed(*, attendant: Attendant | None) -> bool:
    return attendant is not None and DeskSender.objects.filter(attendant=attendant).exists()


def allowed_attendants(*, attendants: list[Attendant]) -> list[Attendant]:
    """Those of ``attendants`` whom their bot's admin allowed to send from the Desk."""
    ids = set(
        DeskSender.objects.filter(attendant__in=attendants).values_list("attendant_id", flat=True)
    )
    return [a for a in attendants if a.pk in ids]


def cap_for(*, bot: Bot) -> Cap:
    """The per-contact cap of a top-level bot (its contacts' bot): its settings or the default."""
    row = DeskSendSettings.objects.filter(bot_id=bot.top_level.pk).first()
    return Cap(count=row.contact_cap, hours=row.cap_window_hours) if row else Cap()


def recent_send_times(*, contact: Contact, since: dt.datetime) -> list[dt.datetime]:
    """When the contact got Desk messages after ``since``, oldest first.

    A message that failed (no WhatsApp, a gateway refusal) never reached the person, so it does
    not count: the attendant may try again.
    """
    return list(
        DeskSend.objects.filter(contact=contact, created_at__gt=since)
        .exclude(campaign__recipients__status=Recipient.Status.FAILED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )


def templates_for(*, attendant: Attendant) -> QuerySet[MessageTemplate]:
    """Approved templates of the attendant's top-level bot (templates live on the router)."""
    return approved_templates(bot=attendant.bot.top_level)


def recent_contacts(*, attendant: Attendant, limit: int = RECENT_CONTACTS) -> list[Contact]:
    """Contacts of the attendant's tickets (held, or directed to them), the latest first."""
    latest = (
        Ticket.objects.filter(Q(attendant=attendant) | Q(requested_attendant=attendant))
        .values("contact_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")[:limit]
    )
    order = [row["contact_id"] for row in latest]
    contacts = Contact.objects.in_bulk(order)
    return [contacts[pk] for pk in order if pk in contacts]


def sent_by(*, attendant_ids: list[int]) -> QuerySet[DeskSend]:
    """The Desk messages of these attendant profiles, newest first, with what the list shows."""
    return (
        DeskSend.objects.filter(attendant_id__in=attendant_ids)
        .select_related("contact", "campaign__template", "attendant__bot")
        .prefetch_related("campaign__recipients")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class SentRow:
    """One line of *Sent by me*: the send, its recipient (status), the ticket its reply opened."""

    send: DeskSend
    recipient: Recipient | None
    ticket: Ticket | None


def sent_rows(*, sends: list[DeskSend], attendant: Attendant) -> list[SentRow]:
    """The page's sends with their recipient and the attendant's ticket opened since (one query)."""
    sends = list(sends)
    if not sends:
        return []
    tickets = Ticket.objects.filter(
        Q(attendant=attendant) | Q(requested_attendant=attendant),
        contact_id__in={s.contact_id for s in sends},
        created_at__gte=min(s.created_at for s in sends),
    ).order_by("created_at", "id")
    rows = []
    for send in sends:
        ticket = next(
            (
                t
                for t in tickets
                if t.contact_id == send.contact_id and t.created_at >= send.created_at
            ),
            None,
        )
        recipients = list(send.campaign.recipients.all())
        rows.append(
            SentRow(send=send, recipient=recipients[0] if recipients else None, ticket=ticket)
        )
    return rows


def contact_label(contact: Contact) -> str:
    """ "Maria Souza (+55 11 97777-1234)", or the phone alone for a contact with no name."""
    phone = format_phone(contact.phone)
    return f"{contact.name} ({phone})" if contact.name else phone
