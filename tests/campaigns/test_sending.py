"""The fan-out on the outbox backend (eager Celery): claims, statuses, routing, cancel, recovery."""

import datetime as dt

import pytest
from django.utils import timezone

from bots.models import ContactState, Message
from campaigns.dispatch import campaign_submit
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine, start_sending
from campaigns.sending.recovery import sending_recover
from campaigns.sending.render import components_for, render_body
from campaigns.services import campaign_cancel
from desk.models import ReplyDirective
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import (
    CampaignFactory,
    MessageTemplateFactory,
    RecipientFactory,
    bulk_campaign_with_recipients,
)
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db
S = Recipient.Status


def submit(campaign, capture):
    with capture(execute=True):
        campaign_submit(campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def test_R17_submit_sends_every_recipient_once_and_finishes(django_capture_on_commit_callbacks):
    campaign = submit(bulk_campaign_with_recipients(3), django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.SENT
    assert campaign.finished_at is not None
    recipients = list(campaign.recipients.all())
    assert {r.status for r in recipients} == {S.SENT}
    messages = Message.objects.filter(direction=Message.Direction.OUTBOUND, kind="template")
    assert messages.count() == 3
    for recipient in recipients:
        message = messages.get(gateway_message_id=recipient.gateway_message_id)
        assert message.payload["recipient_id"] == recipient.pk
        assert message.payload["campaign_id"] == campaign.pk
        assert message.text == render_body(campaign.template, recipient.parameters)
        assert message.status == Message.Status.SENT
        assert recipient.sent_at is not None


def test_R17_a_batch_run_again_sends_nothing(django_capture_on_commit_callbacks):
    campaign = submit(bulk_campaign_with_recipients(2), django_capture_on_commit_callbacks)
    ids = list(campaign.recipients.values_list("pk", flat=True))
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 0
    assert start_sending(campaign_id=campaign.pk) == 0
    assert Message.objects.filter(direction="out").count() == 2


def test_R17_claim_is_compare_and_set():
    recipient = RecipientFactory()
    first, second = (Recipient.objects.get(pk=recipient.pk) for _ in range(2))
    assert engine.recipient_claim(recipient=first) is True
    assert engine.recipient_claim(recipient=second) is False


def test_opted_out_contact_fails_at_send_time(django_capture_on_commit_callbacks):
    campaign = bulk_campaign_with_recipients(2)
    opted = campaign.recipients.first().contact
    opted.opted_out = True
    opted.save()
    campaign = submit(campaign, django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.SENT_WITH_FAILURES
    failed = campaign.recipients.get(contact=opted)
    assert (failed.status, failed.failure_code) == (S.FAILED, engine.OPTED_OUT)
    assert failed.failure_reason


def test_campaign_fails_when_no_recipient_could_be_sent(django_capture_on_commit_callbacks):
    campaign = bulk_campaign_with_recipients(1)
    Recipient.objects.filter(campaign=campaign).update(parameters={"body": []})
    campaign = submit(campaign, django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.recipients.get().failure_code == engine.INVALID_PARAMETERS


def test_cancel_stops_batches_not_yet_sent():
    campaign = bulk_campaign_with_recipients(3, status=Campaign.Status.SENDING)
    ids = list(campaign.recipients.values_list("pk", flat=True))
    assert campaign_cancel(campaign=campaign)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 0
    assert not Message.objects.exists()
    assert set(campaign.recipients.values_list("failure_code", flat=True)) == {"canceled"}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELED


def test_R17_stale_claim_ends_unknown_outcome_and_is_never_resent():
    campaign = bulk_campaign_with_recipients(2, status=Campaign.Status.SENDING)
    campaign.dispatched_at = timezone.now() - dt.timedelta(hours=1)
    campaign.save()
    stale, pending = campaign.recipients.order_by("pk")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Recipient.objects.filter(pk=stale.pk).update(status=S.SENDING, claimed_at=long_ago)
    result = sending_recover()
    assert result["stale_failed"] == 1
    assert result["resumed"] == [campaign.pk]  # the Pending one was enqueued again (eager)
    stale.refresh_from_db()
    pending.refresh_from_db()
    assert (stale.status, stale.failure_code) == (S.FAILED, engine.UNKNOWN_OUTCOME)
    assert pending.status == S.SENT
    assert Message.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT_WITH_FAILURES


def test_R17_a_send_proven_after_unknown_outcome_is_corrected():
    recipient = RecipientFactory(campaign__status=Campaign.Status.SENDING)
    Recipient.objects.filter(pk=recipient.pk).update(
        status=S.FAILED, failure_code=engine.UNKNOWN_OUTCOME, failure_reason="x"
    )
    recipient.refresh_from_db()
    assert engine.recipient_record_sent(recipient=recipient, gateway_id="g1", components=[])
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == (S.SENT, "")


def test_R11_flow_target_moves_the_contact_state(django_capture_on_commit_callbacks):
    campaign = bulk_campaign_with_recipients(1)
    campaign = submit(campaign, django_capture_on_commit_callbacks)
    contact = campaign.recipients.get().contact
    state = ContactState.objects.get(contact=contact)
    assert (state.bot_id, state.block_id) == (campaign.routing_bot_id, campaign.flow_block_id)
    assert not ReplyDirective.objects.exists()


def attendant_campaign(bot, contact, attendant, block):
    campaign = CampaignFactory(
        bot=bot,
        template=MessageTemplateFactory(bot=bot),
        routing=Campaign.Routing.ATTENDANT,
        flow_block=block,
        attendant_email=attendant.email,
    )
    RecipientFactory(campaign=campaign, contact=contact)
    return campaign


def test_R11_R12_directive_at_send_superseded_by_a_second_send(
    django_capture_on_commit_callbacks,
):
    bot = BotFactory()
    block = FlowBlockFactory(bot=bot, human=True)
    ana = AttendantFactory(bot=bot, email="ana@example.com")
    bruno = AttendantFactory(bot=bot, email="bruno@example.com")
    contact = ContactFactory(bot=bot)
    first = submit(attendant_campaign(bot, contact, ana, block), django_capture_on_commit_callbacks)
    directive = ReplyDirective.objects.get(contact=contact)
    sent_at = first.recipients.get().sent_at
    assert directive.attendant == ana and directive.source_id == first.pk
    assert directive.valid_until == sent_at + dt.timedelta(hours=24)
    assert ContactState.objects.get(contact=contact).block == block
    capture = django_capture_on_commit_callbacks
    second = submit(attendant_campaign(bot, contact, bruno, block), capture)
    current = ReplyDirective.objects.get(contact=contact, superseded=False)
    assert current.attendant == bruno and current.source_id == second.pk
    directive.refresh_from_db()
    assert directive.superseded


def test_R11_team_target_leaves_a_team_directive(django_capture_on_commit_callbacks):
    campaign = bulk_campaign_with_recipients(1, routing=Campaign.Routing.TEAM, flow_block=None)
    team = TeamFactory(bot=campaign.bot, name="Vendas")
    Campaign.objects.filter(pk=campaign.pk).update(team=team)
    campaign.refresh_from_db()
    submit(campaign, django_capture_on_commit_callbacks)
    directive = ReplyDirective.objects.get()
    assert directive.team == team and directive.attendant is None


def test_components_fill_header_body_and_url_button():
    template = MessageTemplateFactory(
        header_type="image",
        body="Oi {{1}}, veja {{2}}",
        buttons=[{"type": "url", "text": "Ver", "url": "https://x.example/{{1}}"}],
    )
    params = {"body": ["Ana", "isto"], "header": "https://img.example/a.png", "button": "abc"}
    components = components_for(template, params)
    assert [c["type"] for c in components] == ["header", "body", "button"]
    assert components[0]["parameters"][0]["image"]["link"] == params["header"]
    assert components[2]["parameters"][0]["text"] == "abc"
    assert render_body(template, params) == "Oi Ana, veja isto"
    with pytest.raises(ValueError):
        components_for(template, {"body": ["Ana", "isto"], "header": None, "button": "abc"})


def test_a_batch_asks_whether_its_campaign_is_done_in_one_statement(django_assert_num_queries):
    """Every batch ends by asking; until the last one, one raw statement answers "not yet"."""
    campaign = bulk_campaign_with_recipients(2, status=Campaign.Status.SENDING)
    first, second = campaign.recipients.order_by("pk")
    Recipient.objects.filter(pk=first.pk).update(status=Recipient.Status.SENT)
    for status in (Recipient.Status.PENDING, Recipient.Status.SENDING):
        Recipient.objects.filter(pk=second.pk).update(status=status)
        with django_assert_num_queries(1):
            assert engine.campaign_finish_if_done(campaign_id=campaign.pk) is False
    Recipient.objects.filter(pk=second.pk).update(
        status=Recipient.Status.FAILED, failure_code="gateway_permanent", failure_reason="no"
    )
    assert engine.campaign_finish_if_done(campaign_id=campaign.pk) is True
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT_WITH_FAILURES
    with django_assert_num_queries(1):  # no longer Sending: nothing more to do
        assert engine.campaign_finish_if_done(campaign_id=campaign.pk) is False
    with pytest.raises(Campaign.DoesNotExist):
        engine.campaign_finish_if_done(campaign_id=campaign.pk + 1000)
