"""reply.routed at least once: queue the event of every reply whose own path never queued it.

A reply's event is queued after the reply commits (``api.webhooks.receivers``); a crash in
between would lose it. The reply's routing row is written in the reply's own transaction, so it
is the durable record: every minute this sweep walks the routing rows past each subscription's
mark, queues the event of those of its bot that have none, and moves the mark. Rows younger
than ``GRACE`` wait for the next run, so a reply still being committed is never stepped over.
"""

import datetime as dt

from django.utils import timezone

from api.models import REPLY_ROUTED, WebhookDelivery, WebhookSubscription
from api.webhooks.events import reply_routed_publish
from bots.models import Message
from desk.models import InboundRouting

GRACE = dt.timedelta(minutes=2)
BATCH = 5000


def reply_events_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue the missing reply.routed events of every subscription; how many were queued."""
    now = now or timezone.now()
    subscriptions = WebhookSubscription.objects.filter(is_active=True).select_related("bot")
    return sum(
        _sweep(subscription, now)
        for subscription in subscriptions
        if REPLY_ROUTED in (subscription.events or [])
    )


def _sweep(subscription: WebhookSubscription, now: dt.datetime) -> int:
    mark = subscription.replies_checked_to or _newest_before(subscription.created_at)
    rows = list(
        InboundRouting.objects.filter(message_id__gt=mark)
        .order_by("message_id")
        .values_list("message_id", "message__bot_id", "message__created_at")[:BATCH]
    )
    settled = []
    for row in rows:
        if row[2] > now - GRACE:
            break  # this one and the later ones: next run
        settled.append(row)
    if settled:
        mark = settled[-1][0]
    ours = [
        message_id
        for message_id, bot_id, created_at in settled
        if bot_id == subscription.bot_id and created_at >= subscription.created_at
    ]
    queued = 0
    if ours:
        done = set(
            WebhookDelivery.objects.filter(
                subscription=subscription, reply_message_id__in=ours
            ).values_list("reply_message_id", flat=True)
        )
        missing = Message.objects.filter(pk__in=[m for m in ours if m not in done])
        for message in missing.select_related("contact").order_by("pk"):
            queued += reply_routed_publish(
                bot=subscription.bot,
                message=message,
                at=message.created_at,
                subscriptions=[subscription],
            )
    if mark != subscription.replies_checked_to:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(replies_checked_to=mark)
    return queued


def _newest_before(moment: dt.datetime) -> int:
    """The newest message id older than ``moment``: a new subscription's starting mark.

    Walks back from the newest message, so it reads only the messages since ``moment``.
    """
    newest = Message.objects.filter(created_at__lt=moment).order_by("-id").values_list("id")
    row = newest.first()
    return row[0] if row else 0
