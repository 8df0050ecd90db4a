"""Delivering one webhook event: signed POST, then delivered, or retried with backoff, or failed.

Signature: ``X-Blipportal-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The receiver recomputes it over the raw body and rejects old timestamps (replays). Deliveries are
at least once: the receiver deduplicates by ``X-Blipportal-Event-Id`` (also ``id`` in the body).
"""

import datetime as dt
import hashlib
import hmac
import json
import time

import httpx
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from api import jobs
from api.models import DeliveryStatus, WebhookDelivery

TIMEOUT_SECONDS = 10.0
# While an attempt runs, nobody else may start one; after this the sweeper may (worker died).
LEASE = dt.timedelta(seconds=60)
LOG_KEEP = 20
USER_AGENT = "blipportal-webhooks/1"


def max_attempts() -> int:
    return getattr(settings, "API_WEBHOOK_MAX_ATTEMPTS", 8)


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min… doubling after each failed attempt, at most 6 hours."""
    base = getattr(settings, "API_WEBHOOK_BACKOFF_SECONDS", 30.0)
    return dt.timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 6 * 3600))


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """Take the delivery for one attempt (a lease), unless it is not due or someone has it."""
    taken = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int, client: httpx.Client | None = None) -> str:
    """One attempt; returns the delivery's status afterwards (or "skipped")."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Blipportal-Event": delivery.event_type,
        "X-Blipportal-Event-Id": str(delivery.event_id),
        "X-Blipportal-Delivery": str(delivery.pk),
        "X-Blipportal-Signature": sign(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
    }
    started = time.monotonic()
    code, error = None, ""
    try:
        with client or httpx.Client(timeout=TIMEOUT_SECONDS) as http:
            response = http.post(delivery.subscription.url, content=body, headers=headers)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    entry = {
        "at": now.isoformat(),
        "status_code": code,
        "error": error,
        "ms": round((time.monotonic() - started) * 1000),
    }
    return _record(delivery, entry, ok=not error)


def _record(delivery: WebhookDelivery, entry: dict, *, ok: bool) -> str:
    now = timezone.now()
    log = [*delivery.attempt_log, entry][-LOG_KEEP:]
    fields = {"last_status_code": entry["status_code"], "last_error": entry["error"]}
    if ok:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif delivery.attempts >= max_attempts():
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        fields["next_attempt_at"] = now + backoff(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
        attempt_log=log, **fields
    )
    status = fields.get("status", DeliveryStatus.PENDING)
    if status == DeliveryStatus.PENDING:
        wait = (fields["next_attempt_at"] - now).total_seconds()
        jobs.webhook_deliver(delivery_id=delivery.pk, countdown=wait)
    return status


def deliveries_retry_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Enqueue every pending delivery whose time has come (retries, leases of dead workers)."""
    due = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now()
    ).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:limit])
    for delivery_id in ids:
        jobs.webhook_deliver(delivery_id=delivery_id)
    return len(ids)


def delivery_retry_now(*, delivery: WebhookDelivery) -> bool:
    """An operator's retry from the admin: a failed or waiting delivery is attempted at once."""
    moved = WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
    if moved:
        jobs.webhook_deliver(delivery_id=delivery.pk)
    return bool(moved)
