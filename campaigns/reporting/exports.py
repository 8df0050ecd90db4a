"""The recipients table as CSV or XLSX: streamed, never the whole list in memory.

Every text cell is neutralised against spreadsheet formula injection (a leading ``=``, ``+``,
``-``, ``@``, tab or carriage return gets a ``'`` in front), dates are in the operator's time zone
in the Brazilian order, and the filters of the page apply.
"""

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Recipient
from campaigns.reporting.outcomes import OUTCOME_LABELS, with_outcome
from campaigns.reporting.recipients import RecipientFilters, recipients_filtered

CHUNK = 2000
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%d/%m/%Y %H:%M:%S"
XLSX_DATE_FORMAT = "DD/MM/YYYY HH:MM:SS"
COLUMNS = (
    "contact__phone",
    "contact__name",
    "status",
    "failure_code",
    "failure_reason",
    "sent_at",
    "delivered_at",
    "read_at",
    "replied_at",
    "outcome",
    "ticket_number",
)
DATE_COLUMNS = frozenset({5, 6, 7, 8})


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will show, never evaluate."""
    if value and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def headers() -> list[str]:
    return [
        _("Phone"),
        _("Name"),
        _("Status"),
        _("Failure code"),
        _("Failure reason"),
        _("Sent at"),
        _("Delivered at"),
        _("Read at"),
        _("Replied at"),
        _("Reply routing"),
        _("Ticket"),
    ]


def export_rows(*, campaign: Campaign, filters: RecipientFilters) -> Iterator[tuple]:
    """Plain tuples, a chunk at a time (a server-side cursor on PostgreSQL).

    Labels and the time zone are looked up once, not per row: at a million rows every
    per-row call shows.
    """
    qs = with_outcome(
        recipients_filtered(campaign=campaign, filters=filters), campaign
    ).values_list(*COLUMNS)
    statuses = {code: str(label) for code, label in Recipient.Status.choices}
    outcomes = {code: str(label) for code, label in OUTCOME_LABELS.items()}
    zone = timezone.get_current_timezone()
    for (
        phone,
        name,
        status,
        code,
        reason,
        sent,
        delivered,
        read,
        replied,
        outcome,
        ticket,
    ) in qs.iterator(chunk_size=CHUNK):
        yield (
            phone,
            name,
            statuses.get(status, status),
            code,
            reason,
            sent.astimezone(zone) if sent else None,
            delivered.astimezone(zone) if delivered else None,
            read.astimezone(zone) if read else None,
            replied.astimezone(zone) if replied else None,
            outcomes.get(outcome, ""),
            ticket,
        )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(DATE_FORMAT)
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_delimiter() -> str:
    # Spreadsheets set to Portuguese split on semicolons (the comma is the decimal mark).
    return ";" if (get_language() or "").startswith("pt") else ","


def csv_stream(*, campaign: Campaign, filters: RecipientFilters) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=csv_delimiter())
    yield "\ufeff"  # so Excel reads UTF-8 (accents in names)
    yield writer.writerow([neutralise(h) for h in headers()])
    for row in export_rows(campaign=campaign, filters=filters):
        yield writer.writerow([_text(value) for value in row])


def xlsx_file(*, campaign: Campaign, filters: RecipientFilters) -> str:
    """Write the workbook (write-only: rows go to disk as they come) and return its path."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Recipients")[:31])
    sheet.append([neutralise(h) for h in headers()])
    for row in export_rows(campaign=campaign, filters=filters):
        cells = []
        for index, value in enumerate(row):
            if index in DATE_COLUMNS and value is not None:
                cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
                cell.number_format = XLSX_DATE_FORMAT
                cells.append(cell)
            else:
                # Plain values are cheaper than cells; neutralised text never starts with "=",
                # so openpyxl never takes it for a formula.
                cells.append(None if value is None else _text(value))
        sheet.append(cells)
    handle, path = tempfile.mkstemp(prefix="recipients-", suffix=".xlsx")
    os.close(handle)
    workbook.save(path)
    return path


def export_filename(campaign: Campaign, extension: str) -> str:
    day = timezone.localdate().isoformat()
    return f"campanha-{campaign.pk}-destinatarios-{day}.{extension}"
