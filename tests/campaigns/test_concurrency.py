"""R17 with real Celery workers on Redis and PostgreSQL against the loopback fake Blip server.

The workers are subprocesses (`celery -A blipportal worker`) reading the pytest-django test
database; the fake server's log of accepted message ids is the proof that nobody got a message
twice.
"""

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from bots.models import Contact
from campaigns.models import Campaign, Recipient
from campaigns.sending.codes import UNKNOWN_OUTCOME
from campaigns.sending.recovery import recipients_fail_stale_claims
from tests.campaigns.factories import CampaignFactory
from tests.fakeblip import FakeBlip
from tests.services import redis_url, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
AUDIENCE = 2000
WORKER_CHUNK = 100
S = Recipient.Status


@pytest.fixture
def broker():
    require_postgres()
    url = redis_url()
    # Only the default queue is emptied (tasks left by an earlier run), never the whole db.
    purger = Celery("test-purger", broker=url, set_as_current=False)
    purger.control.purge()
    purger.close()
    return url


@pytest.fixture
def fake():
    with FakeBlip() as server:
        yield server


@pytest.fixture
def workers(broker, fake, tmp_path):
    """Start workers on demand; every one still alive is killed at the end."""
    started: list[subprocess.Popen] = []
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "blipportal.settings",
        "DJANGO_SECRET_KEY": "worker-test-key",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker,
        "WHATSAPP_GATEWAY": "blip",
        "BLIP_API_URL": fake.url,
        "DJANGO_LOG_LEVEL": "WARNING",
        # Five chunks to each batch of 500, so that a worker killed mid-campaign is killed
        # between chunks of its batches, with recipients still Pending behind them.
        "SENDING_CHUNK_SIZE": str(WORKER_CHUNK),
    }

    def start(name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        command = [CELERY, "-A", "blipportal", "worker", "-P", "threads", "-c", "4"]
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]
        process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def producer(broker):
    # Not the current app (neither is the purger): the project's tasks that later tests in this
    # process enqueue must keep going through the project's eager app, not to this broker.
    app = Celery("test-producer", broker=broker, set_as_current=False)
    app.conf.task_serializer = "json"
    yield app
    app.close()


def big_campaign() -> Campaign:
    campaign = CampaignFactory(
        bulk=True, status=Campaign.Status.SENDING, dispatched_at=timezone.now()
    )
    bot = campaign.bot
    bot.rate_limit_per_second = 1000  # exercises the Redis limiter without slowing the test
    bot.messaging_tier = bot.MessagingTier.TIER_10K  # above the audience: the window admits all
    bot.save()
    contacts = Contact.objects.bulk_create(
        Contact(bot=bot, phone=f"+55119{i:08d}") for i in range(AUDIENCE)
    )
    Recipient.objects.bulk_create(
        Recipient(campaign=campaign, contact=c, parameters={"body": [f"P{i}"]})
        for i, c in enumerate(contacts)
    )
    return campaign


def wait_for(predicate, timeout: float = 50.0, campaign: Campaign | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    state = ""
    if campaign is not None:
        campaign.refresh_from_db()
        counts = collections.Counter(campaign.recipients.values_list("status", flat=True))
        state = f": campaign {campaign.status}, recipients {dict(counts)}"
    raise AssertionError(f"timed out waiting for the workers{state}")


def is_final(campaign: Campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.is_final


def assert_nothing_sent_twice(fake: FakeBlip, campaign: Campaign) -> None:
    ids = fake.sent_message_ids()
    repeats = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert repeats == []
    sent = set(
        campaign.recipients.filter(status=S.SENT).values_list("gateway_message_id", flat=True)
    )
    assert sent <= set(ids)  # every recipient we call Sent reached the server


def test_R17_two_workers_and_a_redelivered_task_send_each_recipient_once(workers, producer, fake):
    campaign = big_campaign()
    ids = list(campaign.recipients.values_list("pk", flat=True))
    workers("one")
    workers("two")
    # Fan out twice (every batch is queued twice) and re-deliver one big batch on top.
    for _ in range(2):
        producer.send_task("campaigns.tasks.start_sending", kwargs={"campaign_id": campaign.pk})
    producer.send_task(
        "campaigns.tasks.send_recipients",
        kwargs={"campaign_id": campaign.pk, "recipient_ids": ids},
    )
    wait_for(lambda: is_final(campaign), campaign=campaign)
    assert campaign.status == Campaign.Status.SENT
    assert_nothing_sent_twice(fake, campaign)
    assert len(fake.sent_message_ids()) == AUDIENCE
    assert campaign.recipients.filter(status=S.SENT).count() == AUDIENCE


def test_R17_worker_killed_mid_campaign_sends_nobody_twice_after_recovery(workers, producer, fake):
    campaign = big_campaign()
    first = workers("doomed")
    producer.send_task("campaigns.tasks.start_sending", kwargs={"campaign_id": campaign.pk})
    wait_for(lambda: campaign.recipients.filter(status=S.SENT).count() >= 200)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert campaign.recipients.filter(status=S.PENDING).exists()
    # The dead worker's claims can never complete: settle them before anyone else works.
    recipients_fail_stale_claims(stale_after=dt.timedelta(0))
    workers("rescuer")
    # As Celery beat does in production: recovery runs periodically. The dead worker's
    # prefetched batches are lost until the broker's visibility timeout; recovery re-enqueues
    # their recipients once nobody has claimed anything for a second (claims make the
    # duplicates harmless).
    last_tick = [0.0]

    def recovered() -> bool:
        if time.monotonic() - last_tick[0] >= 2.0:
            last_tick[0] = time.monotonic()
            producer.send_task(
                "campaigns.tasks.recover_sending",
                kwargs={"stale_after_seconds": 600, "resume_after_seconds": 1},
            )
        return is_final(campaign)

    wait_for(recovered, campaign=campaign)
    assert_nothing_sent_twice(fake, campaign)
    # The dead worker ran four tasks at once (-c 4): each left at most its two chunks in flight
    # (one being recorded, the next on the wire) claimed and unrecorded, now "unknown outcome";
    # nothing else was lost.
    unknown = campaign.recipients.filter(status=S.FAILED, failure_code=UNKNOWN_OUTCOME).count()
    assert unknown <= 4 * 2 * WORKER_CHUNK
    statuses = set(campaign.recipients.values_list("status", flat=True))
    assert statuses <= {S.SENT, S.FAILED}
    assert not campaign.recipients.filter(status=S.FAILED, failure_reason="").exists()
    assert campaign.status in (Campaign.Status.SENT, Campaign.Status.SENT_WITH_FAILURES)
