"""Large audiences imported in the background, so the wizard's request returns at once.

``campaign_create_importing`` runs the same send-time rules as ``campaign_create`` (an R5 refusal
still creates nothing), saves the Draft without recipients, keeps the CSV on the campaign and
enqueues ``campaigns.tasks.import_audience``. ``campaign_import_audience`` (the task's body)
stores every row in one transaction (``audience_store``: COPY on PostgreSQL), so a failure midway
leaves nobody half-imported, then submits the campaign; any failure ends it Failed with a code,
file kept. The rows read so far are published as the import runs (``ImportProgress``).
"""

import logging

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import jobs
from campaigns.audience import AudienceFileError, AudienceParser, AudienceRow, rows_to_import
from campaigns.audience_store import AudienceMember, ImportCounts, audience_store
from campaigns.models import Campaign, CampaignStatus, ImportStatus
from campaigns.recipient_moves import recipients_fail_pending
from campaigns.services import campaign_move, campaign_new, campaign_set_audience_counts

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
    campaign.import_heartbeat_at = timezone.now()  # a lost task is found from here on
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
    Campaign.objects.filter(pk=campaign.pk).update(
        import_attempts=F("import_attempts") + 1, import_heartbeat_at=timezone.now()
    )
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
    with campaign.audience_file.open("rb") as fileobj, ImportProgress(campaign) as progress:
        # Repeated phones are dropped by the store, in the database: the parser keeps no set.
        rows = (
            AudienceMember(phone=r.phone, extras=r.extras) if isinstance(r, AudienceRow) else r
            for r in rows_to_import(
                AudienceParser(fileobj, detect_duplicates=False), campaign.parameters or {}
            )
        )
        with transaction.atomic():
            counts = audience_store(campaign=campaign, audience=rows, progress=progress)
            # Compare-and-set on Draft, in the import's transaction: canceled meanwhile, the
            # whole import is rolled back; canceled after this, the cancel waits for our commit.
            still_draft = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT)
            if not still_draft.update(import_rows_done=progress.rows):
                raise _Stopped
    # Recount: a rerun finds part of its recipients already stored and does not create them.
    counts.size = campaign.recipients.count()
    return counts


class ImportProgress:
    """The ``progress`` callback of a background import: rows read, shown on the detail page.

    On PostgreSQL the import's own transaction shows nothing to others until it commits, so the
    figure is written through a connection of its own. Raises ``_Stopped`` once the campaign has
    left Draft (canceled), which rolls the import back.
    """

    def __init__(self, campaign: Campaign) -> None:
        self.campaign_id, self.rows = campaign.pk, 0
        self._side = None

    def __enter__(self) -> "ImportProgress":
        if connection.vendor == "postgresql":
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._side is not None:
            self._side.close()

    def __call__(self, rows: int) -> None:
        self.rows = rows
        now = timezone.now()  # also the import's heartbeat (campaigns/import_sweep.py)
        if self._side is None:
            moved = Campaign.objects.filter(pk=self.campaign_id, status=CampaignStatus.DRAFT)
            if not moved.update(import_rows_done=rows, import_heartbeat_at=now):
                raise _Stopped
            return
        table = Campaign._meta.db_table
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET import_rows_done = %s, import_heartbeat_at = %s "  # noqa: S608
                "WHERE id = %s RETURNING status",
                [rows, now, self.campaign_id],
            )
            row = cursor.fetchone()
        # No row: the campaign's own transaction has not committed yet (tests); carry on.
        if row is not None and row[0] != CampaignStatus.DRAFT:
            raise _Stopped


@transaction.atomic
def _submit(campaign: Campaign, counts: ImportCounts) -> None:
    from campaigns.dispatch import campaign_submit  # dispatch imports services

    campaign_set_audience_counts(campaign=campaign, counts=counts)
    done, total = ImportStatus.DONE, campaign.import_rows_total
    Campaign.objects.filter(pk=campaign.pk).update(import_status=done, import_rows_done=total)
    campaign.import_status, campaign.import_rows_done = done, total
    campaign_submit(campaign=campaign)


def campaign_fail_import(*, campaign: Campaign, code: str, reason: str) -> bool:
    """End a campaign whose import cannot go on Failed with ``code``; True when it moved."""
    campaign.refresh_from_db(fields=["status"])
    if campaign.is_final:
        return False
    _fail(campaign, code, reason, code)
    campaign.refresh_from_db(fields=["status"])
    return campaign.status == CampaignStatus.FAILED


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
    recipients_fail_pending(campaign_id=campaign.pk, code=code, reason=reason)


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
