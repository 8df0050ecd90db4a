"""No campaign stays "importing" forever: a lost import task is enqueued again, then given up
(issue 8, item 6)."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import jobs
from campaigns.import_sweep import IMPORT_LOST, imports_resume_lost
from campaigns.importing import campaign_import_audience
from campaigns.models import Campaign
from tests.bots.factories import BotFactory
from tests.campaigns.test_audience_import_async import create_importing

pytestmark = pytest.mark.django_db
LONG_AGO = dt.timedelta(minutes=30)


@pytest.fixture
def lost(django_capture_on_commit_callbacks, monkeypatch):
    """A Draft whose import task never ran (the broker lost it), last seen half an hour ago."""
    enqueued: list[int] = []
    monkeypatch.setattr(
        jobs, "import_audience", lambda *, campaign_id: enqueued.append(campaign_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign = create_importing(BotFactory())
    Campaign.objects.filter(pk=campaign.pk).update(import_heartbeat_at=timezone.now() - LONG_AGO)
    enqueued.clear()
    monkeypatch.undo()
    return campaign


def test_a_lost_import_is_enqueued_again_and_the_campaign_goes_out(
    lost, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = imports_resume_lost()
    assert report == {"resumed": [lost.pk], "failed": []}
    lost.refresh_from_db()
    assert lost.import_status == Campaign.ImportStatus.DONE
    assert lost.status == Campaign.Status.SENT  # eager Celery: imported, submitted and sent
    assert lost.import_attempts == 1 and lost.recipients.count() == 5


def test_two_sweeps_at_once_enqueue_it_once(lost, monkeypatch, django_capture_on_commit_callbacks):
    enqueued: list[int] = []
    monkeypatch.setattr(
        jobs, "import_audience", lambda *, campaign_id: enqueued.append(campaign_id)
    )
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        imports_resume_lost(now=now)
        imports_resume_lost(now=now)
    assert enqueued == [lost.pk]


def test_an_import_still_beating_is_left_alone(lost, monkeypatch):
    enqueued: list[int] = []
    monkeypatch.setattr(
        jobs, "import_audience", lambda *, campaign_id: enqueued.append(campaign_id)
    )
    Campaign.objects.filter(pk=lost.pk).update(import_heartbeat_at=timezone.now())
    assert imports_resume_lost() == {"resumed": [], "failed": []}
    assert enqueued == []


def test_an_import_lost_too_often_ends_failed_with_its_file_kept(lost, settings):
    settings.IMPORT_ATTEMPTS = 3
    Campaign.objects.filter(pk=lost.pk).update(import_attempts=3)
    report = imports_resume_lost()
    assert report == {"resumed": [], "failed": [lost.pk]}
    lost.refresh_from_db()
    assert (lost.status, lost.failure_code) == (Campaign.Status.FAILED, IMPORT_LOST)
    assert lost.import_status == Campaign.ImportStatus.FAILED
    assert lost.audience_file.name and lost.recipients.count() == 0
    assert imports_resume_lost() == {"resumed": [], "failed": []}  # nothing left importing


def test_an_import_from_before_the_heartbeat_is_judged_by_its_age(lost, monkeypatch):
    enqueued: list[int] = []
    monkeypatch.setattr(
        jobs, "import_audience", lambda *, campaign_id: enqueued.append(campaign_id)
    )
    Campaign.objects.filter(pk=lost.pk).update(
        import_heartbeat_at=None, created_at=timezone.now() - LONG_AGO
    )
    assert imports_resume_lost()["resumed"] == [lost.pk]


def test_the_task_counts_its_attempts_and_beats(lost):
    before = timezone.now()
    campaign_import_audience(campaign_id=lost.pk)
    lost.refresh_from_db()
    assert lost.import_attempts == 1 and lost.import_heartbeat_at >= before


def test_the_sweep_runs_periodically(settings):
    jobs_by_task = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "campaigns.tasks.resume_lost_imports" in jobs_by_task
