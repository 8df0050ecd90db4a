"""Celery tasks: thin adapters over the sending services; each takes ids and is safe to rerun."""

import datetime as dt

from celery import shared_task


@shared_task(name="campaigns.tasks.send_recipients", acks_late=True)
def send_recipients(*, campaign_id: int, recipient_ids: list[int]) -> int:
    from campaigns.sending.engine import send_recipients as send

    return send(campaign_id=campaign_id, recipient_ids=recipient_ids)


@shared_task(name="campaigns.tasks.start_sending")
def start_sending(*, campaign_id: int) -> int:
    from campaigns.sending import start_sending as start

    return start(campaign_id=campaign_id)


@shared_task(name="campaigns.tasks.send_scheduled_campaigns")
def send_scheduled_campaigns() -> dict:
    from campaigns.sending.scheduling import scheduler_tick

    return scheduler_tick(source="beat")


@shared_task(name="campaigns.tasks.recover_sending")
def recover_sending(
    *, stale_after_seconds: float | None = None, resume_after_seconds: float | None = None
) -> dict:
    from campaigns.sending.recovery import sending_recover

    def seconds(value):
        return None if value is None else dt.timedelta(seconds=value)

    return sending_recover(
        stale_after=seconds(stale_after_seconds), resume_after=seconds(resume_after_seconds)
    )


@shared_task(name="campaigns.tasks.cleanup_wizard_uploads")
def cleanup_wizard_uploads() -> int:
    from campaigns.uploads import uploads_remove_abandoned

    return uploads_remove_abandoned()


@shared_task(name="campaigns.tasks.import_audience", acks_late=True)
def import_audience(*, campaign_id: int) -> str:
    from campaigns.importing import campaign_import_audience

    return campaign_import_audience(campaign_id=campaign_id)


@shared_task(name="campaigns.tasks.refresh_campaign_results")
def refresh_campaign_results() -> int:
    from campaigns.reporting.rollup import campaign_results_refresh_live

    return campaign_results_refresh_live()


@shared_task(name="campaigns.tasks.resume_lost_imports")
def resume_lost_imports() -> dict:
    from campaigns.import_sweep import imports_resume_lost

    return imports_resume_lost()
