"""Scheduled dispatch: once per due campaign whatever the schedulers, R15, lateness."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bots.models import Message
from campaigns import tasks
from campaigns.dispatch import campaign_submit
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine
from campaigns.sending.scheduling import campaigns_dispatch_due
from campaigns.validation import R5_ATTENDANT_NOT_IN_TEAM, TEMPLATE_NOT_APPROVED
from desk.models import TeamMembership
from tests.bots.factories import ContactFactory, FlowBlockFactory
from tests.campaigns.factories import (
    CampaignFactory,
    MessageTemplateFactory,
    RecipientFactory,
    bulk_campaign_with_recipients,
)
from tests.desk.factories import AttendantFactory
from tests.services import require_postgres

ROOT = Path(__file__).resolve().parents[2]
S = Recipient.Status


def due_campaign(n=2, late=dt.timedelta(minutes=5), **fields) -> Campaign:
    campaign = bulk_campaign_with_recipients(n, **fields)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now() - late
    )
    campaign.refresh_from_db()
    return campaign


@pytest.mark.django_db
def test_submit_with_a_future_time_schedules_without_sending(django_capture_on_commit_callbacks):
    campaign = bulk_campaign_with_recipients(1)
    campaign.scheduled_at = timezone.now() + dt.timedelta(hours=1)
    campaign.save()  # the wizard saves the time before handing the campaign over
    with django_capture_on_commit_callbacks(execute=True):
        campaign_submit(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert campaigns_dispatch_due() == []
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_due_campaign_is_dispatched_once_with_its_lateness(django_capture_on_commit_callbacks):
    campaign = due_campaign(late=dt.timedelta(hours=3))  # missed while everything was down
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_dispatch_due() == [campaign.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_dispatch_due() == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert campaign.lateness_seconds >= 3 * 3600
    assert campaign.dispatched_at is not None
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_R15_revalidation_failure_marks_failed_with_the_rule_code():
    campaign = due_campaign()
    template = campaign.template
    template.status = "paused"
    template.save()
    assert campaigns_dispatch_due() == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.failure_code == TEMPLATE_NOT_APPROVED
    assert campaign.failure_reason
    assert set(campaign.recipients.values_list("status", flat=True)) == {S.FAILED}
    assert set(campaign.recipients.values_list("failure_code", flat=True)) == {
        engine.CAMPAIGN_FAILED
    }
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_R15_attendant_left_the_team_fails_with_R5(django_capture_on_commit_callbacks):
    campaign = CampaignFactory(routing=Campaign.Routing.ATTENDANT, flow_block=None)
    block = FlowBlockFactory(bot=campaign.bot, human=True)
    ana = AttendantFactory(bot=campaign.bot, email="ana@example.com")
    RecipientFactory(campaign=campaign, contact=ContactFactory(bot=campaign.bot))
    Campaign.objects.filter(pk=campaign.pk).update(
        flow_block=block,
        attendant_email=ana.email,
        status=Campaign.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(seconds=1),
    )
    TeamMembership.objects.filter(attendant=ana).delete()
    call_command("send_scheduled_campaigns")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.failure_code) == (
        Campaign.Status.FAILED,
        R5_ATTENDANT_NOT_IN_TEAM,
    )
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_beat_task_calls_the_same_service(django_capture_on_commit_callbacks):
    campaign = due_campaign(template=MessageTemplateFactory())
    Campaign.objects.filter(pk=campaign.pk).update(
        template=MessageTemplateFactory(bot=campaign.bot)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.send_scheduled_campaigns.delay().get()
    assert result["dispatched"] == [campaign.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_at_once_dispatch_a_due_campaign_once():
    require_postgres()
    campaigns = [due_campaign(n=20) for _ in range(3)]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "blipportal.settings",
        "DJANGO_SECRET_KEY": "scheduler-test-key",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "WHATSAPP_GATEWAY": "outbox",
        "CELERY_BROKER_URL": "",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "send_scheduled_campaigns"]
    processes = [
        subprocess.Popen(  # noqa: S603 (our own fixed command line)
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    lines = [
        line for out, _ in outputs for line in out.splitlines() if line.startswith("dispatched")
    ]
    assert sorted(lines) == sorted(f"dispatched campaign {c.pk}" for c in campaigns)
    for campaign in campaigns:
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.SENT
    messages = Message.objects.filter(direction="out")
    assert messages.count() == 60
    assert messages.values("gateway_message_id").distinct().count() == 60
