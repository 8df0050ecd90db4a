"""Routes of the sending engine: the delivery-notification webhook and campaign progress."""

from django.urls import path

from campaigns import views_sending, webhooks

urlpatterns: list = [
    path(
        "webhooks/blip/<slug:bot_slug>/notifications",
        webhooks.blip_notifications,
        name="blip_notifications",
    ),
    path(
        "campaigns/<int:pk>/progress.json",
        views_sending.CampaignProgressView.as_view(),
        name="campaign_progress",
    ),
    path(
        "campaigns/<int:pk>/cancel",
        views_sending.CampaignCancelView.as_view(),
        name="campaign_cancel",
    ),
]
