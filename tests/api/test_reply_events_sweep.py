"""Issue 14: reply.routed is delivered at least once, even when the reply's own path was lost.

The reply's event is queued after the reply commits; a crash in between would lose it. The
sweep finds replies (their routing rows, written in the reply's transaction) without an event
and queues it, once per subscription, whoever comes first.
"""

import datetime as dt

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks.sweep import GRACE, reply_events_sweep
from desk.inbound import inbound_receive
from tests.api.scenarios import setup

pytestmark = pytest.mark.django_db

LATER = GRACE + dt.timedelta(seconds=1)


@pytest.fixture
def subscription(api):
    return WebhookSubscription.objects.create(
        bot=api.bot, url="https://hooks.example.com/bp", events=["reply.routed"]
    )


def reply(api, text, capture, *, lost: bool):
    """A customer's reply; ``lost``: the process died before its after-commit work."""
    with capture(execute=not lost):
        return inbound_receive(bot=api.bot, phone="+5511987650001", text=text).message


def replies_queued() -> list[tuple[int, str]]:
    return sorted(
        (d.reply_message_id, d.payload["data"]["message"]["text"])
        for d in WebhookDelivery.objects.filter(event_type="reply.routed")
    )


def test_a_reply_whose_event_was_lost_is_queued_by_the_sweep_once(
    api, subscription, django_capture_on_commit_callbacks
):
    message = reply(api, "Quero comprar", django_capture_on_commit_callbacks, lost=True)
    assert replies_queued() == []
    assert reply_events_sweep(now=timezone.now() + LATER) == 1
    assert replies_queued() == [(message.pk, "Quero comprar")]
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["routing"]["reason_code"]
    assert delivery.status == "pending" and delivery.next_attempt_at is not None
    assert reply_events_sweep(now=timezone.now() + LATER) == 0
    subscription.refresh_from_db()
    assert subscription.replies_checked_to == message.pk


def test_a_reply_queued_by_its_own_path_is_not_queued_again(
    api, subscription, django_capture_on_commit_callbacks
):
    message = reply(api, "Oi", django_capture_on_commit_callbacks, lost=False)
    assert replies_queued() == [(message.pk, "Oi")]
    assert reply_events_sweep(now=timezone.now() + LATER) == 0
    assert len(replies_queued()) == 1


def test_a_reply_younger_than_the_grace_waits_for_the_next_run(
    api, subscription, django_capture_on_commit_callbacks
):
    message = reply(api, "Ainda chegando", django_capture_on_commit_callbacks, lost=True)
    assert reply_events_sweep(now=timezone.now()) == 0
    subscription.refresh_from_db()
    assert subscription.replies_checked_to < message.pk
    assert reply_events_sweep(now=timezone.now() + LATER) == 1


def test_replies_of_other_bots_and_from_before_the_subscription_are_left_alone(
    api, django_capture_on_commit_callbacks
):
    reply(api, "Antes da assinatura", django_capture_on_commit_callbacks, lost=True)
    WebhookSubscription.objects.create(
        bot=api.bot,
        url="https://hooks.example.com/bp",
        events=["reply.routed"],
    )
    WebhookSubscription.objects.filter(bot=api.bot).update(
        created_at=timezone.now() + dt.timedelta(milliseconds=1)
    )
    other = setup()
    with django_capture_on_commit_callbacks(execute=False):
        inbound_receive(bot=other.bot, phone="+5511987650002", text="Outro bot")
    assert reply_events_sweep(now=timezone.now() + LATER) == 0
    assert replies_queued() == []


def test_the_sweep_runs_every_minute_with_the_periodic_jobs(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["api-reply-events-sweep"]
    assert (entry["task"], entry["schedule"]) == ("api.tasks.reply_events_sweep", 60.0)
