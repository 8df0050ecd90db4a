"""The one seam through which Desk services enqueue background work (as campaigns/jobs.py).

Under eager Celery (no broker) the task runs inline, exactly as ``.delay`` would.
"""

from celery import current_app


def send_opt_out_confirmation(*, contact_id: int, opted_out_at: str, text: str) -> None:
    current_app.tasks["desk.tasks.send_opt_out_confirmation"].delay(
        contact_id=contact_id, opted_out_at=opted_out_at, text=text
    )


def inbound_effects(*, routing_id: int, at: str, identity: str, opened: bool) -> None:
    current_app.tasks["desk.tasks.inbound_effects"].delay(
        routing_id=routing_id, at=at, identity=identity, opened=opened
    )
