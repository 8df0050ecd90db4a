"""The one seam through which API services enqueue background work (tasks looked up by name)."""

from celery import current_app
from django.conf import settings


def webhook_deliver(*, delivery_id: int, countdown: float | None = None) -> None:
    """Attempt one webhook delivery now, or after ``countdown`` seconds.

    Eager Celery (``make run``, tests) ignores countdowns, so a retry is left to the periodic
    ``webhooks_retry_due`` there instead of running (and failing) again at once.
    """
    task = current_app.tasks["api.tasks.webhook_deliver"]
    if countdown is None:
        task.delay(delivery_id=delivery_id)
    elif not settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply_async(kwargs={"delivery_id": delivery_id}, countdown=countdown)
