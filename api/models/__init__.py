"""API models, one module per capability; import them from here."""

from api.models.idempotency import IdempotencyRecord, IdempotencyStatus
from api.models.keys import ApiKey
from api.models.webhooks import (
    EVENT_TYPES,
    RECIPIENT_STATUS_CHANGED,
    REPLY_ROUTED,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "EVENT_TYPES",
    "RECIPIENT_STATUS_CHANGED",
    "REPLY_ROUTED",
    "ApiKey",
    "DeliveryStatus",
    "IdempotencyRecord",
    "IdempotencyStatus",
    "WebhookDelivery",
    "WebhookSubscription",
]
