import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from bots.errors import error_codes
from campaigns.models import Campaign, MessageTemplate, Recipient
from campaigns.services import IllegalTransition, campaign_cancel, campaign_move
from tests.bots.factories import BotFactory, SubBotFactory
from tests.campaigns.factories import CampaignFactory, MessageTemplateFactory, RecipientFactory

pytestmark = pytest.mark.django_db


def assert_db_refuses(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def template_errors(**fields) -> set[str]:
    template = MessageTemplateFactory.build(bot=BotFactory(), **fields)
    try:
        template.full_clean()
    except ValidationError as error:
        return error_codes(error)
    return set()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "Boas Vindas"}, "template_name"),
        ({"name": "boas-vindas"}, "template_name"),
        ({"body": "Oi {{1}} e {{3}}"}, "template_variables_gap"),
        ({"body": "Oi {{2}}"}, "template_variables_gap"),
        ({"header_type": "text"}, "template_header_text"),
        ({"header_type": "image", "header_text": "x"}, "template_header_text"),
        (
            {"buttons": [{"type": "quick_reply", "text": str(i)} for i in range(4)]},
            "template_too_many_quick_replies",
        ),
        (
            {"buttons": [{"type": "url", "text": "Ver", "url": "https://x.com/{{1}}/{{2}}"}]},
            "template_button_url",
        ),
        (
            {"buttons": [{"type": "url", "text": "Ver", "url": "https://x.com/{{1}}/pedido"}]},
            "template_button_url",
        ),
        (
            {"buttons": [{"type": "url", "text": "Ver", "url": "ftp://x.com"}]},
            "template_button_url",
        ),
        (
            {"buttons": [{"type": "phone", "text": "Ligar", "phone": "11999"}]},
            "template_button_phone",
        ),
        ({"buttons": [{"type": "menu", "text": "X"}]}, "template_button_type"),
        ({"buttons": [{"type": "quick_reply", "text": ""}]}, "template_button_text"),
    ],
)
def test_template_validation(fields, code):
    assert code in template_errors(**fields)


def test_valid_template_with_variables_url_button_and_header():
    assert not template_errors(
        body="Olá {{1}}, pedido {{2}}",
        header_type="text",
        header_text="Pedido",
        buttons=[
            {"type": "quick_reply", "text": "Sim"},
            {"type": "url", "text": "Ver", "url": "https://loja.com/p/{{1}}"},
            {"type": "phone", "text": "Ligar", "phone": "+551133334444"},
        ],
    )


def test_variable_count_is_derived_from_the_body():
    template = MessageTemplateFactory(body="{{1}} {{2}} {{1}}")
    assert template.variable_count == 2


def test_template_unique_per_bot_name_language_and_status_checked():
    template = MessageTemplateFactory()
    assert_db_refuses(lambda: MessageTemplateFactory(bot=template.bot, name=template.name))
    MessageTemplateFactory(bot=template.bot, name=template.name, language="en")
    assert_db_refuses(
        lambda: MessageTemplate.objects.filter(pk=template.pk).update(status="deleted")
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"body": []}, "template_parameter_count"),
        ({"body": ["a", "b"]}, "template_parameter_count"),
    ],
)
def test_individual_campaign_parameters_match_the_template(params, code):
    campaign = CampaignFactory.build(bot=BotFactory(), parameters=params)
    campaign.template = MessageTemplateFactory(bot=campaign.bot)
    campaign.routing_bot = campaign.bot
    campaign.flow_block = None
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert code in error_codes(error.value)


def test_media_header_and_url_button_need_their_parameters():
    template = MessageTemplateFactory(
        header_type="image",
        buttons=[{"type": "url", "text": "Ver", "url": "https://x.com/{{1}}"}],
    )
    with pytest.raises(ValidationError) as error:
        template.check_parameters({"body": ["Ana"]})
    assert "template_header_missing" in error_codes(error.value)
    with pytest.raises(ValidationError) as error:
        template.check_parameters({"body": ["Ana"], "header": "https://x.com/a.png"})
    assert "template_button_missing" in error_codes(error.value)
    template.check_parameters({"body": ["Ana"], "header": "https://x.com/a.png", "button": "9"})


def test_campaign_template_and_routing_bot_belong_to_the_campaign_bot():
    campaign = CampaignFactory()
    campaign.template = MessageTemplateFactory()
    campaign.routing_bot = BotFactory()
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert {"template_other_bot", "routing_bot_other"} <= error_codes(error.value)


def test_campaign_is_sent_from_the_router_not_a_sub_bot():
    sub = SubBotFactory()
    campaign = CampaignFactory.build(bot=sub, routing_bot=sub, flow_block=None)
    campaign.template = MessageTemplateFactory(bot=sub)
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert "campaign_on_sub_bot" in error_codes(error.value)


def test_R6_database_refuses_a_bulk_campaign_routed_to_an_attendant():
    assert_db_refuses(lambda: CampaignFactory(bulk=True, routing="attendant"))


def test_scheduled_campaign_needs_its_time():
    assert_db_refuses(lambda: CampaignFactory(status="scheduled", scheduled_at=None))


def test_campaign_moves_by_compare_and_set():
    campaign = CampaignFactory(scheduled=True)
    stale = Campaign.objects.get(pk=campaign.pk)
    assert campaign_move(campaign=campaign, to=Campaign.Status.SENDING)
    assert not campaign_move(campaign=stale, to=Campaign.Status.SENDING)  # lost the race
    with pytest.raises(IllegalTransition):
        campaign_move(campaign=campaign, to=Campaign.Status.SCHEDULED)


def test_cancel_fails_the_recipients_not_yet_sent():
    recipient = RecipientFactory()
    sent = RecipientFactory(campaign=recipient.campaign, status=Recipient.Status.SENT)
    assert campaign_cancel(campaign=recipient.campaign)
    recipient.refresh_from_db()
    sent.refresh_from_db()
    assert recipient.status == "failed" and recipient.failure_reason
    assert sent.status == "sent"
    assert not campaign_cancel(campaign=recipient.campaign)


def test_recipient_unique_per_campaign_and_failed_has_reason():
    recipient = RecipientFactory()
    assert_db_refuses(
        lambda: RecipientFactory(campaign=recipient.campaign, contact=recipient.contact)
    )
    assert_db_refuses(lambda: Recipient.objects.filter(pk=recipient.pk).update(status="failed"))


@pytest.mark.parametrize(
    ("old", "new", "legal"),
    [
        ("pending", "sending", True),
        ("sending", "sent", True),
        ("sent", "delivered", True),
        ("read", "delivered", False),
        ("replied", "read", False),
        ("delivered", "sent", False),
        ("failed", "delivered", True),
        ("pending", "sent", False),
    ],
)
def test_recipient_status_never_goes_back(old, new, legal):
    assert Recipient.can_move(old, new) is legal
