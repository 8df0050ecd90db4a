"""Celery tasks of the Desk: thin adapters over its services; each takes ids, safe to run twice."""

from celery import shared_task


@shared_task(name="desk.tasks.send_opt_out_confirmation", acks_late=True)
def send_opt_out_confirmation(*, contact_id: int, opted_out_at: str, text: str) -> bool:
    from desk.optout import opt_out_confirmation_send

    sent = opt_out_confirmation_send(contact_id=contact_id, opted_out_at=opted_out_at, text=text)
    return sent is not None


@shared_task(name="desk.tasks.desk_timers")
def desk_timers() -> dict:
    from desk.timers import desk_timers_tick

    result = desk_timers_tick()
    return {key: value if isinstance(value, int) else len(value) for key, value in result.items()}


@shared_task(name="desk.tasks.inbound_effects", acks_late=True)
def inbound_effects(
    *, routing_id: int, at: str = "", identity: str = "", opened: bool | None = None
) -> bool:
    import datetime as dt

    from desk.inbound_effects import inbound_effects_run

    when = dt.datetime.fromisoformat(at) if at else None
    return inbound_effects_run(routing_id=routing_id, at=when, identity=identity, opened=opened)
