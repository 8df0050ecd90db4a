"""Recipient status moves made in bulk, each one announced like a single move.

One UPDATE … RETURNING per move, in one transaction with its announcement: the rows it changed
are exactly the rows announced through ``recipient_status_changed`` (the API's
``recipient.status_changed`` webhook writes its deliveries in that transaction), so a cancel, a
failed dispatch or a stale claim is never a silent status change for a customer's system.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from bots.bulk_sql import update_returning
from campaigns.models import Recipient
from campaigns.signals import recipients_status_changed

S = Recipient.Status
_TABLE = Recipient._meta.db_table
ANNOUNCE_CHUNK = 1000  # recipients per signal: a large campaign's events in bounded pieces


@transaction.atomic
def recipients_fail_pending(*, campaign_id: int, code: str, reason: str) -> int:
    """Pending → Failed with ``code`` and ``reason`` for every still Pending recipient."""
    rows = update_returning(
        table=_TABLE,
        set_sql="status = %s, failure_code = %s, failure_reason = %s",
        where_sql="campaign_id = %s AND status = %s",
        params=[S.FAILED, code[:40], reason[:300], campaign_id, S.PENDING],
        returning="id, campaign_id",
    )
    _announce(rows, S.FAILED)
    return len(rows)


@transaction.atomic
def recipients_fail_claimed_before(*, cutoff, code: str, reason: str) -> int:
    """Sending → Failed for claims older than ``cutoff`` (their worker stopped), any campaign."""
    rows = update_returning(
        table=_TABLE,
        set_sql="status = %s, failure_code = %s, failure_reason = %s",
        where_sql="status = %s AND claimed_at <= %s",
        params=[S.FAILED, code[:40], reason[:300], S.SENDING, cutoff],
        returning="id, campaign_id",
    )
    _announce(rows, S.FAILED)
    return len(rows)


def _announce(rows: list[tuple], status: str) -> None:
    by_campaign: dict[int, list[int]] = defaultdict(list)
    for recipient_id, campaign_id in rows:
        by_campaign[campaign_id].append(recipient_id)
    for campaign_id, ids in by_campaign.items():
        ids.sort()
        for start in range(0, len(ids), ANNOUNCE_CHUNK):
            recipients_status_changed(
                campaign_id=campaign_id,
                recipient_ids=ids[start : start + ANNOUNCE_CHUNK],
                status=status,
            )
