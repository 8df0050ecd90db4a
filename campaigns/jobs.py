"""The one seam through which campaign services enqueue background work.

Services never import ``campaigns.tasks`` (the tasks import the services); they call these
functions, which look the task up by its registered name. Under eager Celery (no broker) the task
runs inline, exactly as ``.delay`` would.
"""

from celery import current_app


def _enqueue(name: str, **kwargs) -> None:
    current_app.tasks[name].delay(**kwargs)


def send_batch(*, campaign_id: int, recipient_ids: list[int]) -> None:
    _enqueue(
        "campaigns.tasks.send_recipients", campaign_id=campaign_id, recipient_ids=recipient_ids
    )


def start_sending(*, campaign_id: int) -> None:
    _enqueue("campaigns.tasks.start_sending", campaign_id=campaign_id)


def import_audience(*, campaign_id: int) -> None:
    _enqueue("campaigns.tasks.import_audience", campaign_id=campaign_id)
