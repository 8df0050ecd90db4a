"""Celery tasks of the API: thin adapters, each safe to run twice."""

from celery import shared_task


@shared_task(name="api.tasks.idempotency_cleanup")
def idempotency_cleanup() -> int:
    from api.idempotency import records_remove_expired

    return records_remove_expired()


@shared_task(name="api.tasks.webhook_deliver", acks_late=True)
def webhook_deliver(*, delivery_id: int) -> str:
    from api.webhooks.delivery import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@shared_task(name="api.tasks.webhooks_retry_due")
def webhooks_retry_due() -> int:
    from api.webhooks.delivery import deliveries_retry_due

    return deliveries_retry_due()


@shared_task(name="api.tasks.reply_events_sweep")
def reply_events_sweep() -> int:
    from api.webhooks.sweep import reply_events_sweep as sweep

    return sweep()
