"""Large audiences imported in the background, so the wizard's request returns at once.

``campaign_create_importing`` runs the same send-time rules as ``campaign_create`` (an R5 refusal
still creates nothing), saves the Draft without recipients, keeps the CSV on the campaign and
enqueues ``campaigns.tasks.import_audience``. ``campaign_import_audience`` (the task's body)
stores the rows batch by batch, each batch in its own short transaction that also records the
progress, then submits the campaign; any failure ends it Failed with a code, file kept.
"""

import logging

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import jobs
from campaigns.audience import AudienceFileError, AudienceParser
from campaigns.models import Campaign, CampaignStatus, ImportStatus, Recipient
from campaigns.services import (
    AudienceMember,
    ImportCounts,
    audience_store,
    audience_store_batch,
    campaign_move,
    campaign_new,
    campaign_set_audience_counts,
)

logger = logging.getLogger(__name__)

IMPORT_FAILED = "audience_import_failed"
IMPORT_CANCELED = "canceled"


@transaction.atomic
def campaign_create_importing(*, audience_file: File, rows_total: int, **fields) -> Campaign:
    """Create the Draft (no recipients yet) and enqueue its audience import after commit.

    ``fields`` are ``campaign_new``'s; its rules (R1, R3–R9) run before anything is saved.
    ``audience_file`` is copied into the campaign's ``audience_file`` (default storage).
    """
    campaign = campaign_new(**fields)
    campaign.import_status = ImportStatus.IMPORTING
    campaign.import_rows_total = rows_total
    campaign.save()
    campaign.audience_file.save(f"campaign-{campaign.pk}.csv", audience_file, save=False)
    Campaign.objects.filter(pk=campaign.pk).update(audience_file=campaign.audience_file.name)
    transaction.on_commit(lambda: _enqueue_import(campaign.pk))
    return campaign


def _enqueue_import(campaign_id: int) -> None:
    jobs.import_audience(campaign_id=campaign_id)


def campaign_import_audience(*, campaign_id: int) -> str:
    """Import the stored CSV of a Draft campaign, then submit it; returns what happened.

    Safe to run twice: a campaign no longer importing is left alone, and rows stored by an
    interrupted run are not duplicated (one recipient per contact and campaign).
    """
    campaign = Campaign.objects.select_related("bot").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.DRAFT:
        return "skipped"
    if campaign.import_status != ImportStatus.IMPORTING:
        return "skipped"
    try:
        counts = _store_file(campaign)
    except _Stopped:
        _fail(campaign, IMPORT_CANCELED, _("Campaign canceled before sending."))
        return "canceled"
    except AudienceFileError as error:
        _fail(campaign, IMPORT_FAILED, _("The audience file could not be read."), error.code)
        return "failed"
    except Exception as error:
        logger.exception("Audience import of campaign %s failed", campaign_id)
        _fail(campaign, IMPORT_FAILED, _("The audience could not be imported."), repr(error))
        return "failed"
    try:
        _submit(campaign, counts)
    except ValidationError as error:
        code, message = _first_error(error)
        _fail(campaign, code, message, code, import_status=ImportStatus.DONE)
        return "refused"
    # Submitted: the file has done its job. No save(): the engine may already own the row.
    campaign.audience_file.delete(save=False)
    Campaign.objects.filter(pk=campaign.pk).update(audience_file="")
    return "done"


class _Stopped(Exception):
    """The campaign left Draft (canceled) while its audience was being imported."""


def _store_file(campaign: Campaign) -> ImportCounts:
    with campaign.audience_file.open("rb") as fileobj:
        rows = (
            AudienceMember(phone=r.phone, extras=r.extras) if hasattr(r, "phone") else r
            for r in AudienceParser(fileobj)
        )
        counts = audience_store(campaign=campaign, audience=rows, write_batch=_write_batch)
    # Recount: a rerun finds part of its recipients already stored and does not create them.
    counts.size = campaign.recipients.count()
    return counts


def _write_batch(campaign: Campaign, members: list, counts: ImportCounts, rows: int) -> None:
    with transaction.atomic():
        audience_store_batch(campaign, members, counts)
        still_draft = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
            import_rows_done=rows
        )
    if not still_draft:
        raise _Stopped


@transaction.atomic
def _submit(campaign: Campaign, counts: ImportCounts) -> None:
    from campaigns.dispatch import campaign_submit  # dispatch imports services

    campaign_set_audience_counts(campaign=campaign, counts=counts)
    done, total = ImportStatus.DONE, campaign.import_rows_total
    Campaign.objects.filter(pk=campaign.pk).update(import_status=done, import_rows_done=total)
    campaign.import_status, campaign.import_rows_done = done, total
    campaign_submit(campaign=campaign)


def _fail(
    campaign: Campaign,
    code: str,
    reason: str,
    detail: str = "",
    *,
    import_status: str = ImportStatus.FAILED,
) -> None:
    """End the campaign Failed with ``code``; its recipients are not sent, its file is kept."""
    Campaign.objects.filter(pk=campaign.pk).update(
        import_status=import_status, import_error=(detail or code)[:300]
    )
    campaign.refresh_from_db(fields=["status", "import_status", "import_error"])
    _fail_pending(campaign, code, reason)
    if campaign.is_final:  # canceled meanwhile: the cancel stands
        return
    campaign_move(
        campaign=campaign,
        to=CampaignStatus.FAILED,
        failure_code=code[:40],
        failure_reason=reason,
        finished_at=timezone.now(),
    )


def _fail_pending(campaign: Campaign, code: str, reason: str) -> None:
    Recipient.objects.filter(campaign=campaign, status=Recipient.Status.PENDING).update(
        status=Recipient.Status.FAILED, failure_code=code[:40], failure_reason=reason[:300]
    )


def _first_error(error: ValidationError) -> tuple[str, str]:
    items = (
        error.error_list
        if not hasattr(error, "error_dict")
        else [item for errors in error.error_dict.values() for item in errors]
    )
    for item in items:
        for message in item:
            return item.code or IMPORT_FAILED, str(message)
    return IMPORT_FAILED, _("The campaign was refused.")
