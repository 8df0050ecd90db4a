"""Delivery events: the Blip notifications webhook and the outbox's simulated events."""

import json

import pytest
from django.urls import reverse

from bots.gateway.outbox import outbox_simulate_event
from bots.models import Message, ProcessedEnvelope
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine
from tests.campaigns.factories import bulk_campaign_with_recipients

pytestmark = pytest.mark.django_db
S = Recipient.Status


@pytest.fixture
def sent():
    """A recipient sent through the outbox: its message is in the channel log."""
    campaign = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    recipient = campaign.recipients.get()
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=[recipient.pk])
    recipient.refresh_from_db()
    assert recipient.status == S.SENT
    return recipient


def post(client, bot, payload, secret=None, raw=None):
    return client.post(
        reverse("blip_notifications", args=[bot.slug]),
        data=raw if raw is not None else json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Key {secret or bot.webhook_secret}",
    )


def envelope(recipient, event, **extra):
    return {
        "id": recipient.gateway_message_id,
        "from": recipient.contact.phone.removeprefix("+") + "@wa.gw.msging.net",
        "event": event,
        **extra,
    }


def message_of(recipient) -> Message:
    return Message.objects.get(gateway_message_id=recipient.gateway_message_id)


def test_received_then_consumed_move_the_recipient_and_the_message(client, sent):
    bot = sent.campaign.bot
    assert post(client, bot, envelope(sent, "received")).status_code == 200
    sent.refresh_from_db()
    assert sent.status == S.DELIVERED and sent.delivered_at is not None
    assert message_of(sent).status == Message.Status.DELIVERED
    assert post(client, bot, envelope(sent, "consumed")).status_code == 200
    sent.refresh_from_db()
    assert sent.status == S.READ and sent.read_at is not None
    assert message_of(sent).status == Message.Status.READ


def test_a_late_received_never_downgrades_read(client, sent):
    bot = sent.campaign.bot
    post(client, bot, envelope(sent, "consumed"))
    assert post(client, bot, envelope(sent, "received")).status_code == 200
    sent.refresh_from_db()
    assert sent.status == S.READ
    assert message_of(sent).status == Message.Status.READ


def test_the_same_envelope_twice_is_processed_once(client, sent):
    bot = sent.campaign.bot
    assert post(client, bot, envelope(sent, "received")).json()["status"] == "ok"
    assert post(client, bot, envelope(sent, "received")).json()["status"] == "duplicate"
    assert ProcessedEnvelope.objects.filter(kind="notification").count() == 1


def test_failed_event_fails_the_recipient_with_the_reason(client, sent):
    payload = envelope(sent, "failed", reason={"code": 131026, "description": "undeliverable"})
    assert post(client, sent.campaign.bot, payload).status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.failure_code) == (S.FAILED, "delivery_failed")
    assert "131026" in sent.failure_reason
    assert message_of(sent).status == Message.Status.FAILED


def test_R17_unknown_outcome_is_corrected_by_a_later_received(client, sent):
    Recipient.objects.filter(pk=sent.pk).update(
        status=S.FAILED, failure_code=engine.UNKNOWN_OUTCOME, failure_reason="lost"
    )
    assert post(client, sent.campaign.bot, envelope(sent, "received")).status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.failure_code) == (S.DELIVERED, "")


def test_wrong_secret_is_401(client, sent):
    response = post(client, sent.campaign.bot, envelope(sent, "received"), secret="nope")
    assert response.status_code == 401
    sent.refresh_from_db()
    assert sent.status == S.SENT


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "not_an_object"),
        (json.dumps({"event": "received"}), "missing_id"),
        (json.dumps({"id": "x"}), "missing_event"),
        (json.dumps({"id": "x", "event": "exploded"}), "unknown_event"),
        (json.dumps({"id": 5, "event": "received"}), "missing_id"),
    ],
)
def test_malformed_envelope_is_400_with_a_reason(client, sent, raw, error):
    response = post(client, sent.campaign.bot, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_event_of_an_unknown_message_is_accepted_and_ignored(client, sent):
    payload = {"id": "not-ours", "event": "received"}
    assert post(client, sent.campaign.bot, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.status == S.SENT


def test_another_bots_secret_cannot_touch_this_recipient(client, sent):
    other = bulk_campaign_with_recipients(0).bot
    assert post(client, other, envelope(sent, "received")).status_code == 200
    sent.refresh_from_db()
    assert sent.status == S.SENT


def test_outbox_simulated_events_move_message_and_recipient(sent):
    message = message_of(sent)
    outbox_simulate_event(message=message, event="delivered")
    outbox_simulate_event(message=message, event="read")
    outbox_simulate_event(message=message, event="delivered")
    message.refresh_from_db()
    sent.refresh_from_db()
    assert message.status == Message.Status.READ
    assert sent.status == S.READ
    with pytest.raises(ValueError):
        outbox_simulate_event(message=message, event="exploded")


def test_R17_event_finds_a_recipient_whose_send_was_never_recorded(client):
    """A worker died between Blip's 202 and recording it: the recipient only has our id."""
    campaign = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    recipient = campaign.recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(
        status=S.FAILED, failure_code=engine.UNKNOWN_OUTCOME, failure_reason="lost"
    )
    payload = {
        "id": engine.message_id_for(recipient),
        "from": recipient.contact.phone.removeprefix("+") + "@wa.gw.msging.net",
        "event": "received",
    }
    assert post(client, campaign.bot, payload).status_code == 200
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == (S.DELIVERED, "")


def test_our_id_of_another_bots_campaign_is_ignored(client):
    mine = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    theirs = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    recipient = theirs.recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(
        status=S.FAILED, failure_code=engine.UNKNOWN_OUTCOME, failure_reason="lost"
    )
    payload = {"id": engine.message_id_for(recipient), "from": "5511@wa", "event": "received"}
    post(client, mine.bot, payload)
    recipient.refresh_from_db()
    assert recipient.status == S.FAILED
