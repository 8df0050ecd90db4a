"""Storing a campaign's audience: its contacts (created or updated) and its recipients.

``audience_store`` is the one entry point (the wizard, the background import, the admin and any
API). It stores all of it or nothing, in one transaction: on PostgreSQL by COPY and set-based
SQL (``pg_copy``) once the audience has more than a few hundred members, otherwise in ORM
batches (``batched``). Either way a phone met twice keeps its first row and the repeats count as
skipped, and opted-out contacts are left out and counted.
"""

import itertools
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, transaction

from campaigns.audience_store.batched import AUDIENCE_BATCH, audience_store_batch, store_batched
from campaigns.audience_store.members import (
    NAME_COLUMNS,
    AudienceMember,
    ImportCounts,
    member_name,
    resolve_recipient_parameters,
)
from campaigns.audience_store.pg_copy import store_by_copy
from campaigns.models import Campaign

__all__ = [
    "AUDIENCE_BATCH",
    "NAME_COLUMNS",
    "AudienceMember",
    "ImportCounts",
    "audience_store",
    "audience_store_batch",
    "member_name",
    "resolve_recipient_parameters",
]

# Below this many rows a temporary table costs more than it saves (an individual send: one).
COPY_MIN_ROWS = 200


def audience_store(
    *,
    campaign: Campaign,
    audience: Iterable,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Store ``audience`` (members, and parser errors the operator chose to skip) for
    ``campaign``; returns the counts. All or nothing: a failure midway stores nobody.

    ``progress(rows_read)`` is called now and then while rows are read, and at the end; it may
    raise to stop the import (everything is then rolled back).
    """
    items = iter(audience)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            minimum = getattr(settings, "AUDIENCE_COPY_MIN_ROWS", COPY_MIN_ROWS)
            head = list(itertools.islice(items, minimum))
            items = itertools.chain(head, items)
            if len(head) >= minimum:
                return store_by_copy(campaign=campaign, audience=items, progress=progress)
        return store_batched(campaign=campaign, audience=items, progress=progress)
