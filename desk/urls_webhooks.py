"""Routes of the inbound pipeline: the message webhook."""

from django.urls import path

from desk.views_webhooks import messages_webhook

urlpatterns = [
    path(
        "webhooks/blip/<slug:bot_slug>/messages",
        messages_webhook,
        name="desk_messages_webhook",
    ),
]
