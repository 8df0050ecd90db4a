"""R17 on PostgreSQL: chunk claims racing on real connections never share a recipient."""

import threading

import pytest
from django.db import connection

from campaigns.models import Campaign, Recipient
from campaigns.sending.claims import recipients_claim
from tests.campaigns.factories import bulk_campaign_with_recipients
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
CHUNK = 25


def test_R17_racing_chunk_claims_win_each_recipient_exactly_once():
    require_postgres()
    campaign = bulk_campaign_with_recipients(200, status=Campaign.Status.SENDING)
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    start = threading.Barrier(WORKERS, timeout=20)
    won: list[list[int]] = [[] for _ in range(WORKERS)]

    def worker(n: int) -> None:
        try:
            mine = Campaign.objects.get(pk=campaign.pk)
            start.wait()
            # Every worker walks the whole list, from a different end: they collide often.
            order = ids if n % 2 == 0 else list(reversed(ids))
            for i in range(0, len(order), CHUNK):
                claimed = recipients_claim(campaign=mine, ids=order[i : i + CHUNK])
                won[n].extend(r.pk for r in claimed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    claimed = [pk for part in won for pk in part]
    assert sorted(claimed) == ids  # every recipient once, none twice
    assert sum(1 for part in won if part) > 1  # they really raced
    statuses = set(Recipient.objects.filter(pk__in=ids).values_list("status", "attempts"))
    assert statuses == {(Recipient.Status.SENDING, 1)}
