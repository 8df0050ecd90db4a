"""The events a customer's system can subscribe to, built as JSON and queued per subscription.

A recipient's delivery row is written in the same transaction as the move that caused it (at
least once: a crash cannot lose an event whose cause committed). A reply's is written once the
reply committed, and the reply's own record (its routing row, written in the inbound
transaction) is what makes it at least once: ``api.webhooks.sweep`` queues the event of any
reply that has none. Either way the attempt itself runs after the commit.
"""

import datetime as dt
import json
import uuid
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from api import jobs
from api.models import (
    RECIPIENT_STATUS_CHANGED,
    REPLY_ROUTED,
    WebhookDelivery,
    WebhookSubscription,
)
from campaigns.models import Campaign, Recipient


def subscribed(*, bot_id: int, event_type: str) -> bool:
    """Whether an active subscription of ``bot_id`` takes ``event_type``.

    Asked for every chunk a sending worker records, nearly always to hear "no": one raw indexed
    lookup, a tenth of what compiling the ORM's query costs.
    """
    table = connection.ops.quote_name(WebhookSubscription._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT events FROM {table} WHERE bot_id = %s AND is_active",  # noqa: S608
            [bot_id],
        )
        rows = cursor.fetchall()
    for (events,) in rows:
        if isinstance(events, str):  # JSON comes back as text; the ORM decodes it in the field
            events = json.loads(events)
        if isinstance(events, list) and event_type in events:
            return True
    return False


def subscriptions_for(*, bot_id: int, event_type: str) -> list[WebhookSubscription]:
    rows = WebhookSubscription.objects.filter(bot_id=bot_id, is_active=True)
    return [s for s in rows if event_type in (s.events or [])]


def events_publish(*, bot_id: int, event_type: str, items: Iterable[dict]) -> int:
    """Queue one event per item for every active subscription of ``bot_id`` to ``event_type``."""
    subscriptions = subscriptions_for(bot_id=bot_id, event_type=event_type)
    if not subscriptions:
        return 0
    now = timezone.now()
    deliveries = []
    for data in items:
        deliveries += _deliveries(subscriptions, event_type=event_type, data=data, now=now)
    with transaction.atomic():
        created = WebhookDelivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in created if d.pk is not None]
    if len(ids) < len(created):  # a backend that returns no ids: the sweeper sends them
        return len(created)
    transaction.on_commit(lambda: [jobs.webhook_deliver(delivery_id=i) for i in ids])
    return len(created)


def _deliveries(subscriptions, *, event_type: str, data: dict, now, **fields):
    """One event (one id, one payload) queued for each subscription."""
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "type": event_type, "created_at": now.isoformat(), "data": data}
    return [
        WebhookDelivery(
            subscription=s,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            next_attempt_at=now,
            **fields,
        )
        for s in subscriptions
    ]


def reply_routed_publish(*, bot, message, at, subscriptions) -> int:
    """Queue the reply.routed event of ``message`` for each subscription that has not got it.

    The reply's own path and the sweep may both try: the unique (subscription, reply) index lets
    one of them queue it, the other skips it.
    """
    item = reply_item(bot=bot, contact=message.contact, message=message, at=at)
    queued = []
    for delivery in _deliveries(
        subscriptions, event_type=REPLY_ROUTED, data=item, now=timezone.now(), reply_message=message
    ):
        try:
            with transaction.atomic():
                delivery.save()
        except IntegrityError:
            continue  # already queued for this subscription
        queued.append(delivery.pk)
    transaction.on_commit(lambda: [jobs.webhook_deliver(delivery_id=i) for i in queued])
    return len(queued)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def recipient_items(*, recipient_ids: list[int]) -> tuple[int | None, list[dict]]:
    """(the campaign's bot id, one recipient.status_changed item per recipient)."""
    rows = Recipient.objects.filter(pk__in=recipient_ids).select_related("contact", "campaign")
    items, bot_id = [], None
    for r in rows.order_by("pk"):
        bot_id = r.campaign.bot_id
        items.append(
            {
                "campaign": {"id": r.campaign_id, "name": r.campaign.name},
                "recipient": {
                    "id": r.pk,
                    "phone": r.contact.phone,
                    "status": r.status,
                    "failure_code": r.failure_code,
                    "failure_reason": r.failure_reason,
                    "sent_at": _iso(r.sent_at),
                    "delivered_at": _iso(r.delivered_at),
                    "read_at": _iso(r.read_at),
                    "replied_at": _iso(r.replied_at),
                },
            }
        )
    return bot_id, items


def reply_item(*, bot, contact, message, at) -> dict:
    """The reply.routed item of one inbound message: where it went and why."""
    routing = getattr(message, "routing", None)
    ticket = routing.ticket if routing else None
    campaign = (
        Campaign.objects.filter(
            bot=bot.top_level,
            recipients__contact=contact,
            recipients__sent_at__gt=at - dt.timedelta(hours=24),
        )
        .order_by("-recipients__sent_at")
        .values("id", "name")
        .first()
    )
    return {
        "bot": bot.top_level.slug,
        "contact": {"phone": contact.phone, "name": contact.name},
        "message": {
            "id": message.pk,
            "kind": message.kind,
            "text": message.text,
            "received_at": _iso(at),
        },
        "routing": {
            "target": routing.target if routing else None,
            "reason_code": routing.reason_code if routing else None,
            "reason": routing.reason if routing else "",
            "flow_block": routing.block.block_id if routing and routing.block else None,
            "ticket": _ticket(ticket),
        },
        "campaign": campaign,
    }


def _ticket(ticket) -> dict | None:
    if ticket is None:
        return None
    attendant = ticket.attendant or ticket.requested_attendant
    return {
        "id": ticket.pk,
        "sequence": ticket.sequence,
        "bot": ticket.bot.slug,
        "team": ticket.team.name,
        "status": ticket.status,
        "attendant_email": attendant.email if attendant else None,
    }


EVENTS = (RECIPIENT_STATUS_CHANGED, REPLY_ROUTED)
