"""The scheduler's heartbeat: every tick (command and beat) records it; readers see its age."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from campaigns import tasks
from campaigns.heartbeat import (
    scheduler_beat,
    scheduler_heartbeat_age,
    scheduler_is_stale,
)
from campaigns.models import SchedulerHeartbeat
from tests.services import require_postgres


@pytest.mark.django_db
def test_no_scheduler_ever_ran_is_stale():
    assert scheduler_heartbeat_age() is None
    assert scheduler_is_stale()


@pytest.mark.django_db
def test_the_command_records_its_heartbeat(capsys):
    call_command("send_scheduled_campaigns")
    beat = SchedulerHeartbeat.objects.get()
    assert beat.source == "command"
    assert timezone.now() - beat.beat_at < dt.timedelta(seconds=5)
    assert not scheduler_is_stale()


@pytest.mark.django_db
def test_the_beat_task_records_its_heartbeat():
    tasks.send_scheduled_campaigns.delay()
    assert SchedulerHeartbeat.objects.get().source == "beat"


@pytest.mark.django_db
def test_age_is_that_of_the_newest_tick_of_any_scheduler():
    now = timezone.now()
    scheduler_beat(source="command", now=now - dt.timedelta(minutes=10))
    scheduler_beat(source="beat", now=now - dt.timedelta(seconds=30))
    assert scheduler_heartbeat_age(now=now) == dt.timedelta(seconds=30)
    scheduler_beat(source="beat", now=now - dt.timedelta(seconds=5))  # rewritten, not added
    assert SchedulerHeartbeat.objects.count() == 2
    assert scheduler_heartbeat_age(now=now) == dt.timedelta(seconds=5)


@pytest.mark.django_db
@override_settings(SCHEDULER_STALE_AFTER_SECONDS=60)
def test_stale_after_the_configured_silence():
    now = timezone.now()
    scheduler_beat(source="beat", now=now - dt.timedelta(seconds=59))
    assert not scheduler_is_stale(now=now)
    assert scheduler_is_stale(now=now + dt.timedelta(seconds=2))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_schedulers_ticking_at_once_never_fail_on_the_heartbeat_row():
    require_postgres()
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def tick():
        try:
            barrier.wait()
            for _ in range(20):
                scheduler_beat(source="beat")
        except Exception as exc:  # any failure is the test's answer
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert SchedulerHeartbeat.objects.filter(source="beat").count() == 1
