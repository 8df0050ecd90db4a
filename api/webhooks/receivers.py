"""Signals of the lower apps turned into webhook events (they never import the API)."""

import logging

from django.db import transaction
from django.dispatch import receiver

from api.models import RECIPIENT_STATUS_CHANGED, REPLY_ROUTED
from api.webhooks.events import (
    events_publish,
    recipient_items,
    reply_routed_publish,
    subscribed,
    subscriptions_for,
)
from campaigns.models import Campaign
from campaigns.signals import recipient_status_changed
from desk.signals import contact_replied

logger = logging.getLogger(__name__)


@receiver(recipient_status_changed, dispatch_uid="api_webhooks_recipient_status")
def on_recipient_status_changed(
    sender, *, campaign_id, recipient_ids, status, bot_id=None, **kwargs
) -> None:
    if bot_id is None:
        bot_id = Campaign.objects.filter(pk=campaign_id).values_list("bot_id", flat=True).first()
    if bot_id is None or not subscribed(bot_id=bot_id, event_type=RECIPIENT_STATUS_CHANGED):
        return
    # A savepoint: whatever fails here must not undo the send that caused the event.
    with transaction.atomic():
        _bot_id, items = recipient_items(recipient_ids=recipient_ids)
        events_publish(bot_id=bot_id, event_type=RECIPIENT_STATUS_CHANGED, items=items)


@receiver(contact_replied, dispatch_uid="api_webhooks_reply_routed")
def on_contact_replied(sender, *, bot, contact, message, at, **kwargs) -> None:
    top = bot.top_level
    subscriptions = subscriptions_for(bot_id=top.pk, event_type=REPLY_ROUTED)
    if subscriptions:
        # Runs after the reply committed; if it never runs (a crash), api.webhooks.sweep does.
        reply_routed_publish(bot=top, message=message, at=at, subscriptions=subscriptions)
