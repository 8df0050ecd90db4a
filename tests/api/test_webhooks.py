"""Outbound webhooks: recipient.status_changed and reply.routed, signed, retried, at least once."""

import datetime as dt
import hashlib
import hmac

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from api.webhooks.delivery import backoff, deliveries_retry_due, delivery_attempt, sign
from api.webhooks.events import subscribed
from bots.gateway.events import delivery_event_apply
from bots.models import BotMembership
from campaigns.models import Recipient
from desk.inbound import inbound_receive
from tests.api.factories import client_for
from tests.api.receiver import Receiver
from tests.bots.factories import BotMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ALL = ["recipient.status_changed", "reply.routed"]


@pytest.fixture(autouse=True)
def _http_allowed(settings):
    settings.API_WEBHOOKS_ALLOW_HTTP = True  # the receiver is a loopback http:// server


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def subscribe(setup, url, events=ALL) -> WebhookSubscription:
    sub = WebhookSubscription(bot=setup.bot, url=url, events=events)
    sub.full_clean()
    sub.save()
    return sub


def send(setup, capture):
    with capture(execute=True):
        response = client_for(setup.key).post("/api/v1/messages", setup.message(), format="json")
    assert response.status_code == 201, response.json()
    return Recipient.objects.get(campaign_id=response.json()["id"])


def test_status_changes_and_the_reply_reach_the_subscriber(
    api, receiver, django_capture_on_commit_callbacks
):
    sub = subscribe(api, receiver.url)
    recipient = send(api, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_event_apply(bot=api.bot, message_id=recipient.gateway_message_id, event="received")
    with django_capture_on_commit_callbacks(execute=True):
        inbound_receive(bot=api.bot, phone=recipient.contact.phone, text="Quero saber mais")
    statuses = [
        e["data"]["recipient"]["status"] for e in receiver.of_type("recipient.status_changed")
    ]
    assert statuses == ["sent", "delivered", "replied"]
    [reply] = receiver.of_type("reply.routed")
    assert reply["data"]["message"]["text"] == "Quero saber mais"
    assert reply["data"]["routing"]["reason_code"] == "directive"
    assert reply["data"]["routing"]["ticket"]["attendant_email"] == "ana@example.com"
    assert reply["data"]["campaign"]["id"] == recipient.campaign_id
    first = receiver.received[0]
    assert first["headers"]["X-Blipportal-Event-Id"] == first["json"]["id"]
    timestamp = int(first["headers"]["X-Blipportal-Signature"].split(",")[0][2:])
    mac = hmac.new(sub.secret.encode(), f"{timestamp}.".encode() + first["body"], hashlib.sha256)
    assert first["headers"]["X-Blipportal-Signature"] == f"t={timestamp},v1={mac.hexdigest()}"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_only_subscribed_events_of_the_own_bot_are_sent(
    api, receiver, django_capture_on_commit_callbacks
):
    from tests.api.scenarios import setup

    other = setup()
    subscribe(other, receiver.url)  # another bot's subscriber hears nothing of this bot
    subscribe(api, receiver.url, events=["reply.routed"])
    send(api, django_capture_on_commit_callbacks)
    assert receiver.received == []


def test_subscribed_answers_for_active_subscriptions_of_the_bot_to_the_event(api):
    """The check each recorded chunk of sends makes before announcing its moves (raw SQL)."""
    from tests.api.scenarios import setup

    other = setup()
    subscribe(other, "https://crm.example.com/other")
    assert not subscribed(bot_id=api.bot.pk, event_type="recipient.status_changed")
    sub = subscribe(api, "https://crm.example.com/hook", events=["reply.routed"])
    assert not subscribed(bot_id=api.bot.pk, event_type="recipient.status_changed")
    assert subscribed(bot_id=api.bot.pk, event_type="reply.routed")
    sub.events = ALL
    sub.save()
    assert subscribed(bot_id=api.bot.pk, event_type="recipient.status_changed")
    sub.is_active = False
    sub.save()
    assert not subscribed(bot_id=api.bot.pk, event_type="recipient.status_changed")
    assert subscribed(bot_id=other.bot.pk, event_type="recipient.status_changed")


def test_a_failing_receiver_is_retried_with_backoff_then_delivered(
    api, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500, 503]) as receiver:
        subscribe(api, receiver.url, events=["recipient.status_changed"])
        send(api, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            1,
            500,
        )
        first_wait = delivery.next_attempt_at - timezone.now()
        assert dt.timedelta(seconds=25) < first_wait <= backoff(1)
        assert deliveries_retry_due() == 0  # not due yet
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        assert deliveries_retry_due() == 1  # eager: attempted inline, 503 this time
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status_code) == (2, 503)
        assert delivery.next_attempt_at - timezone.now() > dt.timedelta(seconds=55)
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliveries_retry_due()
        delivery.refresh_from_db()
        assert delivery.status == "delivered" and delivery.attempts == 3
        ids = {r["headers"]["X-Blipportal-Event-Id"] for r in receiver.received}
        assert len(receiver.received) == 3 and len(ids) == 1  # the same event, three times


def test_backoff_doubles_and_gives_up_after_max_attempts(api, settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 2
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    sub = subscribe(api, "http://127.0.0.1:9/closed")  # nothing listens on the discard port
    delivery = WebhookDelivery.objects.create(
        subscription=sub,
        event_type="reply.routed",
        payload={"id": "x"},
        next_attempt_at=timezone.now(),
    )
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("ConnectError") and len(delivery.attempt_log) == 2
    assert delivery_attempt(delivery_id=delivery.pk) == "skipped"


def test_an_attempt_in_progress_is_not_started_twice(api):
    sub = subscribe(api, "http://127.0.0.1:9/closed")
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event_type="reply.routed", payload={}, next_attempt_at=timezone.now()
    )
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() + dt.timedelta(seconds=60))
    assert delivery_attempt(delivery_id=delivery.pk) == "skipped"


def test_signature_is_hmac_sha256_of_timestamp_and_body():
    expected = hmac.new(b"s", b"10.{}", hashlib.sha256).hexdigest()
    assert sign(secret="s", timestamp=10, body=b"{}") == f"t=10,v1={expected}"


def test_subscriptions_need_https_and_known_events(api, settings):
    from django.core.exceptions import ValidationError

    settings.API_WEBHOOKS_ALLOW_HTTP = False
    sub = WebhookSubscription(bot=api.bot, url="http://crm.example.com/hook", events=["nope"])
    with pytest.raises(ValidationError) as error:
        sub.full_clean()
    codes = {f: [e.code for e in errs] for f, errs in error.value.error_dict.items()}
    assert codes == {"url": ["webhook_url_not_https"], "events": ["webhook_events"]}


def test_admin_shows_the_delivery_log_and_retries(api, client, receiver):
    user = UserFactory(staff=True)
    BotMembershipFactory(user=user, bot=api.bot, role=BotMembership.Role.ADMIN)
    client.force_login(user)
    response = client.post(
        reverse("admin:api_webhooksubscription_add"),
        {"bot": api.bot.pk, "url": receiver.url, "events": ["reply.routed"], "is_active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    sub = WebhookSubscription.objects.get()
    assert sub.created_by == user
    page = client.get(reverse("admin:api_webhooksubscription_change", args=[sub.pk]))
    assert sub.secret in page.content.decode()
    failed = WebhookDelivery.objects.create(
        subscription=sub,
        event_type="reply.routed",
        payload={"id": "e1", "type": "reply.routed"},
        status="failed",
        attempts=8,
        last_error="HTTP 500",
    )
    log = client.get(reverse("admin:api_webhookdelivery_changelist")).content.decode()
    assert "reply.routed" in log
    client.post(
        reverse("admin:api_webhookdelivery_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == "delivered"
    assert [r["json"]["id"] for r in receiver.received] == ["e1"]


def test_admin_of_another_bot_sees_no_subscription_or_delivery(api, client):
    sub = subscribe(api, "https://crm.example.com/hook")
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event_type="reply.routed", payload={}, next_attempt_at=timezone.now()
    )
    from tests.api.scenarios import setup

    other = setup()
    user = UserFactory(staff=True)
    BotMembershipFactory(user=user, bot=other.bot, role=BotMembership.Role.ADMIN)
    client.force_login(user)
    assert (
        "crm.example.com"
        not in client.get(reverse("admin:api_webhooksubscription_changelist")).content.decode()
    )
    change = reverse("admin:api_webhooksubscription_change", args=[sub.pk])
    assert client.get(change).status_code == 403
    view = reverse("admin:api_webhookdelivery_change", args=[delivery.pk])
    assert client.get(view).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_post_an_event_once_on_postgresql(settings):
    """Four workers pick the same due delivery at once: the lease lets exactly one POST it."""
    import threading

    from django.db import connection

    from tests.api.scenarios import setup
    from tests.services import require_postgres

    require_postgres()
    settings.API_WEBHOOKS_ALLOW_HTTP = True
    s = setup()
    with Receiver() as receiver:
        sub = subscribe(s, receiver.url)
        delivery = WebhookDelivery.objects.create(
            subscription=sub, event_type="reply.routed", payload={"id": "once"},
            next_attempt_at=timezone.now(),
        )  # fmt: skip
        barrier = threading.Barrier(4)
        results = []

        def work():
            try:
                barrier.wait()
                results.append(delivery_attempt(delivery_id=delivery.pk))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(results) == ["delivered", "skipped", "skipped", "skipped"]
    assert len(receiver.received) == 1
