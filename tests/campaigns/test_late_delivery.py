"""A late delivery event finishes a send's work exactly once (issue 8, item 5; R11, R12, R17).

A send whose answer was lost ends Failed "unknown outcome" with no channel-log message and no
reply routing. When a delivery event later proves it went out, the recipient moves forward and the
message and the routing are written, once, as the engine would have; a newer send's routing wins.
"""

import datetime as dt
import json
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from bots.gateway import UnknownOutcomeError
from bots.gateway.events import delivery_event_apply
from bots.gateway.outbox import OutboxGateway, outbox_simulate_event
from bots.models import ContactState, Message
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine
from campaigns.sending.delivery import recipient_apply_event
from desk.models import ReplyDirective
from tests.bots.factories import BotFactory, FlowBlockFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory
from tests.desk.factories import AttendantFactory, ReplyDirectiveFactory
from tests.services import require_postgres

S = Recipient.Status


def _to_ana(**fields):
    bot = BotFactory()
    ana = AttendantFactory(bot=bot, email="ana@example.com")
    campaign = CampaignFactory(
        bot=bot,
        status=Campaign.Status.SENDING,
        routing=Campaign.Routing.ATTENDANT,
        flow_block=FlowBlockFactory(bot=bot, human=True),
        attendant_email=ana.email,
        attendant=ana,
        **fields,
    )
    return RecipientFactory(campaign=campaign)


def _lost(monkeypatch, recipient):
    """Send it through the engine with the gateway's answer lost: Failed, unknown outcome."""

    def lose(self, **kwargs):
        raise UnknownOutcomeError("answer lost")

    monkeypatch.setattr(OutboxGateway, "send_template", lose)
    engine.send_recipients(campaign_id=recipient.campaign_id, recipient_ids=[recipient.pk])
    monkeypatch.undo()
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.UNKNOWN_OUTCOME)
    assert not Message.objects.exists() and not ReplyDirective.objects.exists()
    return recipient


def _notify(client, recipient, event):
    bot = recipient.campaign.bot
    payload = {"id": f"c{recipient.campaign_id}r{recipient.pk}", "event": event}
    return client.post(
        reverse("blip_notifications", args=[bot.slug]),
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Key {bot.webhook_secret}",
    )


@pytest.mark.django_db
def test_a_late_received_records_the_message_and_the_directive_once(client, monkeypatch):
    recipient = _lost(monkeypatch, _to_ana())
    assert _notify(client, recipient, "received").json()["status"] == "ok"
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == (S.DELIVERED, "")
    assert recipient.gateway_message_id == f"c{recipient.campaign_id}r{recipient.pk}"
    assert recipient.sent_at == recipient.claimed_at  # the send happened at its claim
    message = Message.objects.get()
    assert (message.kind, message.status, message.contact) == (
        "template",
        "delivered",
        recipient.contact,
    )
    assert message.payload["recipient_id"] == recipient.pk
    directive = ReplyDirective.objects.get()
    assert (directive.attendant.email, directive.sent_at) == ("ana@example.com", recipient.sent_at)
    assert directive.valid_until == recipient.sent_at + dt.timedelta(hours=24)  # R11
    assert (
        ContactState.objects.get(contact=recipient.contact).block == recipient.campaign.flow_block
    )
    # The next events move it on without writing anything twice.
    _notify(client, recipient, "consumed")
    _notify(client, recipient, "received")
    recipient.refresh_from_db()
    assert recipient.status == S.READ
    assert Message.objects.get().status == "read"
    assert ReplyDirective.objects.count() == 1


@pytest.mark.django_db
def test_the_reply_to_a_late_send_reaches_its_attendant(client, monkeypatch):
    from desk.inbound import inbound_receive

    recipient = _lost(monkeypatch, _to_ana())
    _notify(client, recipient, "dispatched")
    result = inbound_receive(bot=recipient.campaign.bot, phone=recipient.contact.phone, text="Oi")
    assert (str(result.decision.target), result.decision.attendant_id) == (
        "attendant",
        recipient.campaign.attendant_id,
    )


@pytest.mark.django_db
def test_a_failed_event_after_an_unknown_outcome_changes_nothing(client, monkeypatch):
    recipient = _lost(monkeypatch, _to_ana())
    _notify(client, recipient, "failed")
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.UNKNOWN_OUTCOME)
    assert not Message.objects.exists() and not ReplyDirective.objects.exists()


@pytest.mark.django_db
def test_R12_a_late_send_never_replaces_a_newer_directive(client, monkeypatch):
    recipient = _lost(monkeypatch, _to_ana())
    newer = ReplyDirectiveFactory(
        contact=recipient.contact,
        attendant=AttendantFactory(bot=recipient.campaign.bot),
        sent_at=timezone.now(),
    )
    _notify(client, recipient, "received")
    assert list(ReplyDirective.objects.all()) == [newer]
    assert Message.objects.count() == 1  # the history still shows what was sent


@pytest.mark.django_db
def test_R11_a_send_proven_after_its_24_hours_leaves_no_directive(client, monkeypatch):
    recipient = _lost(monkeypatch, _to_ana())
    Recipient.objects.filter(pk=recipient.pk).update(
        claimed_at=timezone.now() - dt.timedelta(hours=25)
    )
    _notify(client, recipient, "received")
    assert not ReplyDirective.objects.exists()
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_an_event_between_claim_and_record_does_the_work_and_the_flush_does_not_repeat_it():
    recipient = _to_ana()
    recipient.campaign = Campaign.objects.select_related("bot", "template").get(
        pk=recipient.campaign_id
    )
    assert engine.recipient_claim(recipient=recipient)
    bot = recipient.campaign.bot
    assert recipient_apply_event(
        bot=bot, message_id=engine.message_id_for(recipient), event="received"
    )
    assert not engine.recipient_record_sent(recipient=recipient, gateway_id="g", components=[])
    recipient.refresh_from_db()
    assert recipient.status == S.DELIVERED
    assert Message.objects.count() == 1 and ReplyDirective.objects.count() == 1


@pytest.mark.django_db
def test_a_simulated_outbox_event_finishes_a_lost_send_too(monkeypatch):
    recipient = _lost(monkeypatch, _to_ana())
    delivery_event_apply(
        bot=recipient.campaign.bot, message_id=f"outbox:c{recipient.campaign_id}r{recipient.pk}",
        event="delivered",
    )  # fmt: skip
    recipient.refresh_from_db()
    assert recipient.status == S.DELIVERED
    message = Message.objects.get()
    # The message now carries the gateway's id: the simulator's next event finds it.
    outbox_simulate_event(message=message, event="read")
    recipient.refresh_from_db()
    assert recipient.status == S.READ


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_late_events_racing_finish_the_send_exactly_once(monkeypatch):
    require_postgres()
    recipient = _lost(monkeypatch, _to_ana())
    bot = recipient.campaign.bot
    message_id = f"c{recipient.campaign_id}r{recipient.pk}"
    barrier = threading.Barrier(4)
    errors = []

    def deliver(event):
        try:
            barrier.wait()
            with transaction.atomic():  # as the notification webhook does
                delivery_event_apply(bot=bot, message_id=message_id, event=event)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    events = ["received", "consumed", "dispatched", "received"]
    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    recipient.refresh_from_db()
    assert recipient.status == S.READ  # every event applied, in whatever order they won
    assert Message.objects.count() == 1
    assert ReplyDirective.objects.count() == 1
