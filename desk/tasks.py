"""Celery tasks of the Desk: thin adapters over its services; each takes ids."""

from celery import shared_task


@shared_task(name="desk.tasks.send_opt_out_confirmation", acks_late=True)
def send_opt_out_confirmation(*, contact_id: int, opted_out_at: str, text: str) -> bool:
    from desk.optout import opt_out_confirmation_send

    sent = opt_out_confirmation_send(contact_id=contact_id, opted_out_at=opted_out_at, text=text)
    return sent is not None
