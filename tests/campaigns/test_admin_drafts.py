"""A valid campaign can be sent or scheduled from the admin, through the wizard's validation and
codes (issue 8, item 6; R5, R16, R20, R28)."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from desk.models import TeamMembership
from tests.bots.factories import BotFactory, BotMembershipFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import CampaignFactory, MessageTemplateFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db
ADD = "admin:campaigns_campaign_add"
LIST = "admin:campaigns_campaign_changelist"


@pytest.fixture
def operator(client):
    bot = BotFactory()
    client.force_login(BotMembershipFactory(bot=bot, role="operator").user)
    template = MessageTemplateFactory(bot=bot, no_variables=True)
    return type("Op", (), {"bot": bot, "template": template, "block": FlowBlockFactory(bot=bot)})


def draft_data(op, **extra):
    data = {
        "bot": op.bot.pk,
        "name": "Retomada",
        "kind": "individual",
        "template": op.template.pk,
        "parameters": '{"body": []}',
        "routing": "flow",
        "routing_bot": op.bot.pk,
        "flow_block": op.block.pk,
    }
    return data | extra


def save_draft(client, op, **extra) -> Campaign:
    response = client.post(reverse(ADD), draft_data(op, **extra))
    assert response.status_code == 302, response.context["adminform"].form.errors.as_data()
    client.get(response.url)  # shows (and so consumes) the admin's "added" message
    return Campaign.objects.get()


def send(client, *campaigns, confirmed=True):
    data = {"action": "send_or_schedule", "_selected_action": [c.pk for c in campaigns]}
    if confirmed:
        data["confirmed"] = "yes"
    response = client.post(reverse(LIST), data, follow=confirmed)
    return response, [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def form_codes(response) -> dict[str, set[str]]:
    errors = response.context["adminform"].form.errors.as_data()
    return {field: {e.code for e in errs} for field, errs in errors.items()}


def test_R28_an_individual_draft_saved_in_the_admin_is_sent_from_it(
    client, operator, django_capture_on_commit_callbacks
):
    campaign = save_draft(client, operator, phone="(11) 8765-4321", contact_name="Fulana")
    recipient = Recipient.objects.get(campaign=campaign)
    assert (recipient.contact.phone, recipient.contact.name) == ("+5511987654321", "Fulana")
    assert campaign.status == "draft"
    page, _messages = send(client, campaign, confirmed=False)
    assert page.status_code == 200 and 'id="confirm-send"' in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"  # nothing happens before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        _response, messages = send(client, campaign)
    campaign.refresh_from_db()
    recipient.refresh_from_db()
    assert (campaign.status, recipient.status) == ("sent", "sent")
    assert messages[0][0] == "success"


def test_R28_a_draft_with_a_future_time_is_scheduled(client, operator):
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    campaign = save_draft(
        client,
        operator,
        phone="+5511987654321",
        scheduled_at_0=when.date().isoformat(),
        scheduled_at_1=when.strftime("%H:%M:%S"),
    )
    send(client, campaign)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == ("scheduled", when)


def test_R28_the_admin_refuses_with_the_wizards_codes(client, operator):
    # R5: the attendant left the bot's teams after the Draft was saved.
    team = TeamFactory(bot=operator.bot, name="Vendas")
    AttendantFactory(bot=operator.bot, email="ana@example.com", teams=[team])
    human = FlowBlockFactory(bot=operator.bot, human=True)
    campaign = save_draft(
        client,
        operator,
        phone="+5511987654321",
        routing="attendant",
        flow_block=human.pk,
        attendant_email="ana@example.com",
    )
    TeamMembership.objects.all().delete()
    # A Draft whose time went by while it waited.
    late = CampaignFactory(
        bot=operator.bot, template=operator.template, scheduled_at=timezone.now() - dt.timedelta(1)
    )
    nobody = CampaignFactory(bot=operator.bot, template=operator.template)
    _response, messages = send(client, campaign, late, nobody)
    text = " ".join(m for _level, m in messages)
    assert {level for level, _m in messages} == {"error"}
    for code in ("R5_attendant_not_in_team", "schedule_in_past", "audience_empty"):
        assert code in text
    assert set(Campaign.objects.values_list("status", flat=True)) == {"draft"}


def test_R20_an_opted_out_contact_is_refused_on_the_form(client, operator):
    ContactFactory(bot=operator.bot, phone="+5511987654321", opted_out=True)
    response = client.post(reverse(ADD), draft_data(operator, phone="(11) 98765-4321"))
    assert form_codes(response)["phone"] == {"R16_contact_opted_out"}


def test_R16_a_bad_phone_is_refused_on_the_form(client, operator):
    response = client.post(reverse(ADD), draft_data(operator, phone="abc"))
    assert form_codes(response)["phone"] == {"phone_invalid"}


CSV = b"telefone,nome\n+5511900000001,P1\nabc,Ruim\n+5511900000002,P2\n"


def test_R16_a_csv_with_bad_rows_needs_the_choice_to_skip_them(client, operator):
    upload = SimpleUploadedFile("a.csv", CSV, content_type="text/csv")
    response = client.post(reverse(ADD), draft_data(operator, kind="bulk", audience_file=upload))
    assert form_codes(response)["skip_bad_rows"] == {"R16_bad_rows_not_skipped"}
    assert not Campaign.objects.exists()


def test_R28_a_bulk_draft_is_imported_then_sent(
    client, operator, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("a.csv", CSV, content_type="text/csv")
    campaign = save_draft(client, operator, kind="bulk", audience_file=upload, skip_bad_rows="on")
    with django_capture_on_commit_callbacks(execute=True):
        _response, messages = send(client, campaign)
    assert messages[0][0] == "success"
    campaign.refresh_from_db()
    assert (campaign.status, campaign.audience_size, campaign.skipped_rows) == ("sent", 2, 1)
    assert campaign.import_status == "done"


def test_only_drafts_of_the_readers_bots_are_sent(client, operator):
    mine_sent = CampaignFactory(bot=operator.bot, template=operator.template, status="sent")
    theirs = CampaignFactory()
    page, _messages = send(client, mine_sent, theirs, confirmed=False)
    assert 'id="no-drafts"' in page.content.decode()
    send(client, theirs)
    theirs.refresh_from_db()
    assert theirs.status == "draft"
