"""On PostgreSQL, claims racing on real connections: never a recipient twice (R17), never past
the bot's messaging limit (R26)."""

import contextlib
import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from bots import messaging_limits
from bots.messaging_limits import messaging_budget
from bots.models import Bot, Contact
from campaigns.models import Campaign, Recipient
from campaigns.sending.claims import recipients_claim
from tests.bots.factories import BotFactory
from tests.campaigns.factories import CampaignFactory, bulk_campaign_with_recipients
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


def test_R26_two_workers_racing_for_the_last_slots_never_exceed_the_limit(monkeypatch):
    """200 of 250 slots used; two campaigns of 100 new contacts each claim at once: 50 go.

    Both workers are held just before they read the window, until the other one gets there
    too (or 3 s pass): without the lock on the bot both would read 200 used and admit 50 each.
    """
    require_postgres()
    meet = threading.Barrier(2, timeout=3)
    real = messaging_limits.contacts_in_window

    def rendezvous(**kwargs):
        # Broken: the other worker waits for our lock, so we go on alone, as we should.
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        return real(**kwargs)

    monkeypatch.setattr(messaging_limits, "contacts_in_window", rendezvous)
    bot = BotFactory(messaging_tier=Bot.MessagingTier.TIER_250)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Contact.objects.bulk_create(
        Contact(bot=bot, phone=f"+55117{i:08d}", last_active_message_at=an_hour_ago)
        for i in range(200)
    )
    campaigns = []
    for n in range(2):
        campaign = CampaignFactory(bot=bot, bulk=True, status=Campaign.Status.SENDING)
        people = Contact.objects.bulk_create(
            Contact(bot=bot, phone=f"+5511{8 + n}{i:08d}") for i in range(100)
        )
        Recipient.objects.bulk_create(Recipient(campaign=campaign, contact=c) for c in people)
        campaigns.append(campaign)
    start = threading.Barrier(2, timeout=20)

    def worker(campaign: Campaign) -> None:
        try:
            mine = Campaign.objects.select_related("bot").get(pk=campaign.pk)
            ids = list(mine.recipients.order_by("pk").values_list("pk", flat=True))
            start.wait()
            recipients_claim(campaign=mine, ids=ids)  # one chunk each
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    recipients = Recipient.objects.filter(campaign__in=campaigns)
    assert recipients.filter(status=Recipient.Status.SENDING).count() == 50
    assert (
        recipients.filter(status=Recipient.Status.PENDING, deferred_until__isnull=False).count()
        == 150
    )
    assert messaging_budget(bot=bot).used == 250
