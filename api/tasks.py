"""Celery tasks of the API: thin adapters, each safe to run twice."""

from celery import shared_task


@shared_task(name="api.tasks.idempotency_cleanup")
def idempotency_cleanup() -> int:
    from api.idempotency import records_remove_expired

    return records_remove_expired()
