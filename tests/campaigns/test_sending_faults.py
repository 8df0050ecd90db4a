"""What the engine does with each failure of Blip: retry, fail with the reason, or unknown outcome.

Eager Celery, the blip backend, the loopback fake server; backoff sleeps are skipped.
"""

import pytest

from bots.gateway.blip_backend import BlipGateway
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine, transmit
from tests.campaigns.factories import bulk_campaign_with_recipients
from tests.fakeblip import FakeBlip

pytestmark = pytest.mark.django_db
S = Recipient.Status


@pytest.fixture
def fake(settings, monkeypatch):
    BlipGateway.reset_caches()
    sleeps = []
    monkeypatch.setattr(transmit, "_sleep", sleeps.append)
    with FakeBlip() as server:
        settings.WHATSAPP_GATEWAY = "blip"
        settings.BLIP_API_URL = server.url
        settings.BLIP_TIMEOUT_SECONDS = 0.5
        server.sleeps = sleeps
        yield server
    BlipGateway.reset_caches()


def send_one_recipient() -> Recipient:
    campaign = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    recipient = campaign.recipients.get()
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=[recipient.pk])
    recipient.refresh_from_db()
    return recipient


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_status_is_retried_with_backoff(fake, status):
    fake.fail_next(2, status, path="/messages", retry_after=1 if status == 429 else None)
    recipient = send_one_recipient()
    assert recipient.status == S.SENT
    assert fake.sent_message_ids() == [recipient.gateway_message_id]
    assert len(fake.sleeps) == 2
    if status == 429:
        assert min(fake.sleeps) >= 1  # Retry-After is honoured


def test_transient_errors_exhausting_the_attempts_fail_with_the_reason(fake):
    fake.fail_next(engine.SEND_ATTEMPTS, 503, path="/messages")
    recipient = send_one_recipient()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.GATEWAY_TRANSIENT)
    assert "503" in recipient.failure_reason
    assert fake.sent_message_ids() == []
    assert Campaign.objects.get().status == Campaign.Status.FAILED


def test_200_with_failure_envelope_fails_permanently(fake):
    fake.failure_next(1, "template paused", code=86, path="/messages")
    recipient = send_one_recipient()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.GATEWAY_PERMANENT)
    assert "86" in recipient.failure_reason
    assert fake.sleeps == []


def test_other_4xx_fails_permanently_without_retry(fake):
    fake.fail_next(1, 400, path="/messages", body={"reason": {"code": 21, "description": "bad"}})
    recipient = send_one_recipient()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.GATEWAY_PERMANENT)
    assert len(fake.messages) == 1


def test_R17_lost_answer_is_unknown_outcome_and_never_resent(fake):
    fake.drop_next(1, path="/messages")
    recipient = send_one_recipient()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.UNKNOWN_OUTCOME)
    assert len(fake.messages) == 1  # the server got it once; we did not send it again


def test_R17_message_timeout_is_unknown_outcome(fake):
    fake.timeout_next(1, 1.5, path="/messages")
    recipient = send_one_recipient()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.UNKNOWN_OUTCOME)
    assert len(fake.messages) == 1


def test_command_timeout_before_the_send_is_retried(fake):
    fake.timeout_next(1, 1.5, path="/commands")
    recipient = send_one_recipient()
    assert recipient.status == S.SENT
    assert fake.sent_message_ids() == [recipient.gateway_message_id]


def test_phone_not_on_whatsapp_fails_permanently(fake):
    campaign = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    recipient = campaign.recipients.get()
    fake.add_not_on_whatsapp(recipient.contact.phone)
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=[recipient.pk])
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == (S.FAILED, engine.GATEWAY_PERMANENT)
    assert fake.messages == []


def test_flow_routing_sets_the_blip_state_before_sending(fake):
    recipient = send_one_recipient()
    campaign = recipient.campaign
    identity = recipient.contact.phone.removeprefix("+") + "@wa.gw.msging.net"
    flow = campaign.routing_bot.blip_flow_id
    assert fake.context(identity) == {f"stateid@{flow}": campaign.flow_block.block_id}
    paths = [r.path for r in fake.requests]
    assert paths == ["/commands", "/commands", "/messages"]


def test_input_the_gateway_refuses_fails_the_recipient_not_the_batch(fake):
    campaign = bulk_campaign_with_recipients(2, status=Campaign.Status.SENDING)
    bot = campaign.routing_bot
    bot.blip_flow_id = "not/a/flow"  # the client refuses it: it would change the context URI
    bot.save()
    ids = list(campaign.recipients.values_list("pk", flat=True))
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    codes = set(campaign.recipients.values_list("status", "failure_code"))
    assert codes == {(S.FAILED, engine.INVALID_PARAMETERS)}  # both tried, neither aborted
    assert fake.messages == []
