"""What a routed inbound message causes beyond its own rows: run after commit, by a task.

The request writes the message, its ticket and its routing decision and commits; then this runs
once per message: the contact's last message time and WhatsApp identity (R18), the live Desk
events, the new ticket's automatic distribution (R21, under eager Celery still inside the
request's commit, so "at once" holds), and the ``contact_replied`` signal (the campaign recipient
becomes Replied, R19; the API's reply.routed webhooks).

Exactly once: the routing row's ``effects_at`` is claimed by a compare-and-set in the same
transaction as the effects, so a retried or repeated task finds it taken. A task lost in a crash
(or a broker that was down at the commit) leaves it empty; ``inbound_effects_repair``, one of
the Desk timers, runs those again once they are older than ``REPAIR_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Case, Exists, F, Q, Value, When
from django.utils import timezone

from bots.models import Contact
from desk.assignment import ticket_distribute
from desk.live import events as live
from desk.models import InboundRouting
from desk.routing import Target
from desk.signals import contact_replied

logger = logging.getLogger(__name__)

REPAIR_AFTER = dt.timedelta(minutes=2)  # longer than a healthy queue takes to run the task
REPAIR_BATCH = 200


def inbound_effects_run(
    *,
    routing_id: int,
    at: dt.datetime | None = None,
    identity: str = "",
    opened: bool | None = None,
) -> bool:
    """The effects of the message routed by ``routing_id``; False when they already ran.

    ``at`` is the message's time, ``identity`` the WhatsApp node to keep on the contact and
    ``opened`` whether the message opened its ticket: the request knows them; a repair goes by
    the rows (the message's time, no identity, a ticket opened unless it was joined).
    """
    with transaction.atomic():
        now = timezone.now()
        claimed = InboundRouting.objects.filter(pk=routing_id, effects_at__isnull=True)
        if not claimed.update(effects_at=now):
            return False
        routing = InboundRouting.objects.select_related(
            "message__contact", "message__bot", "ticket", "block"
        ).get(pk=routing_id)
        message = routing.message
        at = at or message.created_at
        _touch(contact=message.contact, at=at, identity=identity)
        if routing.ticket_id is not None:
            if opened is None:
                opened = routing.target != Target.EXISTING_TICKET
            _ticket_effects(routing=routing, opened=opened, now=now)
        contact_replied.send(
            sender=InboundRouting, bot=message.bot, contact=message.contact, message=message, at=at
        )
    return True


def _ticket_effects(*, routing: InboundRouting, opened: bool, now: dt.datetime) -> None:
    ticket_id = routing.ticket_id
    if not opened:
        live.ticket_message(ticket_id=ticket_id, text=routing.message.text, inbound=True)
        return
    live.ticket_waiting(ticket_id=ticket_id)  # announced as assigned if distributed below
    ticket_distribute(ticket_id=ticket_id, now=now, announce=False)


def _touch(*, contact: Contact, at: dt.datetime, identity: str) -> None:
    """The contact's latest message time (never moved back) and, the first time a reply shows
    it, its identity — unless another row of the bot holds it (a race a merge settles)."""
    fields: dict = {
        "last_inbound_at": Case(
            When(last_inbound_at__gte=at, then=F("last_inbound_at")), default=Value(at)
        )
    }
    if identity:
        taken = Contact.objects.filter(bot_id=contact.bot_id, whatsapp_identity=identity)
        fields["whatsapp_identity"] = Case(
            When(Q(Exists(taken)) | ~Q(whatsapp_identity=""), then=F("whatsapp_identity")),
            default=Value(identity),
        )
    Contact.objects.filter(pk=contact.pk).update(**fields)


def inbound_effects_repair(*, now: dt.datetime | None = None) -> list[int]:
    """Run the effects no task ran (lost in a crash, or never enqueued); the routing ids done."""
    now = now or timezone.now()
    due = (
        InboundRouting.objects.filter(effects_at__isnull=True, created_at__lt=now - REPAIR_AFTER)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:REPAIR_BATCH]
    )
    done = []
    for routing_id in list(due):
        try:
            if inbound_effects_run(routing_id=routing_id):
                done.append(routing_id)
        except Exception:
            # One message whose effects fail must not hold back the others; it is tried again.
            logger.exception("the effects of inbound routing %s failed", routing_id)
    if done:
        logger.warning("ran the lost effects of %d inbound messages", len(done))
    return done
