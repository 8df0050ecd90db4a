"""Outbound webhooks: a bot's subscriptions and every event delivered (or being retried) to them."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.models import Bot, Message

RECIPIENT_STATUS_CHANGED = "recipient.status_changed"
REPLY_ROUTED = "reply.routed"
EVENT_CHOICES = [
    (RECIPIENT_STATUS_CHANGED, _("A recipient's status changed (sent, delivered, read…)")),
    (REPLY_ROUTED, _("A contact's reply was routed (ticket, team, attendant or flow)")),
]
EVENT_TYPES = [value for value, _label in EVENT_CHOICES]


def new_signing_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscription(models.Model):
    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Your system's address that receives the events.")
    )
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(
        _("signing secret"),
        max_length=80,
        default=new_signing_secret,
        editable=False,
        help_text=_("Signs every delivery (HMAC-SHA256): check it before trusting an event."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # reply.routed at least once: the periodic sweep has checked every inbound message up to this
    # id for its event (api/webhooks/sweep.py); 0 until its first run for the subscription.
    replies_checked_to = models.BigIntegerField(
        _("replies checked up to message"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["bot", "url"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        errors = {}
        if self.bot_id and self.bot.is_sub_bot:
            errors["bot"] = ValidationError(
                _("Subscribe on the router: its events include its sub-bots'."),
                code="webhook_on_sub_bot",
            )
        events = self.events if isinstance(self.events, list) else None
        if not events or any(e not in EVENT_TYPES for e in events):
            errors["events"] = ValidationError(
                _("Choose at least one of the known events."), code="webhook_events"
            )
        insecure = getattr(settings, "API_WEBHOOKS_ALLOW_HTTP", settings.DEBUG)
        if self.url and not self.url.startswith("https://") and not insecure:
            errors["url"] = ValidationError(
                _("Use an https:// address: events carry your contacts' data."),
                code="webhook_url_not_https",
            )
        if errors:
            raise ValidationError(errors)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    DeliveryStatus.PENDING: frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED}),
    DeliveryStatus.DELIVERED: frozenset(),
    # An operator may send a failed delivery again from the admin.
    DeliveryStatus.FAILED: frozenset({DeliveryStatus.PENDING}),
}


class WebhookDelivery(models.Model):
    """One event for one subscription: the delivery log, and the retry queue while pending."""

    Status = DeliveryStatus

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event"), max_length=40, choices=EVENT_CHOICES)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    attempt_log = models.JSONField(_("attempts log"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The inbound message of a reply.routed event: queued once per subscription, whichever of
    # the reply's own path and the sweep comes first.
    reply_message = models.ForeignKey(
        Message,
        verbose_name=_("reply"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                name="webhook_delivery_once_per_event",
                violation_error_message=_("This event was already queued for this subscription."),
            ),
            models.UniqueConstraint(
                fields=["subscription", "reply_message"],
                condition=Q(reply_message__isnull=False),
                name="webhook_delivery_once_per_reply",
                violation_error_message=_("This reply was already queued for this subscription."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
                violation_error_message=_("Unknown delivery status."),
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_pending_has_next_attempt",
                violation_error_message=_("A pending delivery needs its next attempt time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.get_status_display()})"

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in DELIVERY_TRANSITIONS.get(old, frozenset())
