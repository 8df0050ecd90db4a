"""R1, R3–R9: the send-time validation every caller shares, asserted by code."""

import pytest
from django.core.exceptions import ValidationError

from bots.errors import error_codes
from campaigns import validation as v
from campaigns.models import Campaign
from tests.bots.factories import BotFactory, FlowBlockFactory, SubBotFactory
from tests.campaigns.factories import CampaignFactory, MessageTemplateFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db


def attendant_campaign(target=None, **fields) -> Campaign:
    """An individual campaign routed to an attendant of ``target`` (a bot or a sub-bot)."""
    target = target or BotFactory()
    owner = target.top_level
    block = FlowBlockFactory(bot=target, human=True)
    attendant = AttendantFactory(bot=target, email="ana@example.com")
    defaults = {
        "bot": owner,
        "template": MessageTemplateFactory(bot=owner),
        "routing": Campaign.Routing.ATTENDANT,
        "routing_bot": target,
        "flow_block": block,
        "attendant_email": attendant.email,
    }
    return CampaignFactory.build(**{**defaults, **fields})


def codes_of(campaign: Campaign) -> set[str]:
    try:
        v.validate_campaign_for_send(campaign=campaign)
    except ValidationError as error:
        return error_codes(error)
    return set()


def test_valid_attendant_campaign_resolves_the_attendant():
    campaign = attendant_campaign(attendant_email=" ANA@Example.com ")
    assert codes_of(campaign) == set()
    assert campaign.attendant.email == "ana@example.com"


def test_R5_email_not_an_attendant_of_the_bot():
    assert codes_of(attendant_campaign(attendant_email="ninguem@example.com")) == {
        v.R5_ATTENDANT_NOT_IN_TEAM
    }


def test_R5_attendant_of_another_bot_is_refused():
    other = AttendantFactory(email="carla@example.com")
    campaign = attendant_campaign(attendant_email=other.email)
    assert codes_of(campaign) == {v.R5_ATTENDANT_NOT_IN_TEAM}


def test_R5_attendant_in_no_team_is_refused():
    target = BotFactory()
    AttendantFactory(bot=target, email="semtime@example.com", teams=[])
    campaign = attendant_campaign(target, attendant_email="semtime@example.com")
    assert codes_of(campaign) == {v.R5_ATTENDANT_NOT_IN_TEAM}


def test_R5_error_is_on_the_email_field_and_names_the_address():
    campaign = attendant_campaign(attendant_email="x@example.com")
    with pytest.raises(ValidationError) as error:
        v.validate_campaign_for_send(campaign=campaign)
    assert "x@example.com" in " ".join(error.value.message_dict["attendant_email"])


def test_R6_bulk_campaign_cannot_route_to_an_attendant():
    campaign = attendant_campaign(kind=Campaign.Kind.BULK)
    assert v.R6_ATTENDANT_BULK in codes_of(campaign)


def test_R7_attendant_routing_needs_desk_enabled():
    target = BotFactory()
    campaign = attendant_campaign(target)
    target.desk_enabled = False
    assert v.R7_DESK_DISABLED in codes_of(campaign)


def test_R8_attendant_routing_needs_a_human_block_in_the_flow():
    target = BotFactory()
    campaign = attendant_campaign(target)
    campaign.flow_block.delete()
    campaign.flow_block = None
    assert v.R8_NO_HUMAN_BLOCK in codes_of(campaign)


def test_R8_the_chosen_block_must_be_a_human_block():
    campaign = attendant_campaign()
    campaign.flow_block = FlowBlockFactory(bot=campaign.routing_bot)  # a standard block
    assert codes_of(campaign) == {v.R8_NO_HUMAN_BLOCK}


def test_R9_sub_bot_must_use_the_router_context():
    sub = SubBotFactory(uses_router_context=False)
    assert codes_of(attendant_campaign(sub)) == {v.R9_ROUTER_CONTEXT_OFF}


def test_R9_sub_bot_with_router_context_passes():
    assert codes_of(attendant_campaign(SubBotFactory(uses_router_context=True))) == set()


def test_R4_router_needs_a_sub_bot_chosen():
    sub = SubBotFactory()
    campaign = attendant_campaign(sub)
    campaign.routing_bot = sub.router
    assert codes_of(campaign) == {v.R4_SUB_BOT_REQUIRED}


def test_R1_bot_not_connected_to_whatsapp():
    sub = SubBotFactory()
    sub.router.whatsapp_number = ""
    assert v.R1_NOT_CONNECTED in codes_of(attendant_campaign(sub))


def test_template_must_be_approved():
    campaign = attendant_campaign()
    campaign.template.status = "paused"
    assert codes_of(campaign) == {v.TEMPLATE_NOT_APPROVED}


def test_R3_flow_routing_needs_a_block_of_the_routing_bot():
    campaign = CampaignFactory.build(bot=BotFactory())
    campaign.template = MessageTemplateFactory(bot=campaign.bot)
    campaign.routing_bot = campaign.bot
    campaign.flow_block = None
    assert codes_of(campaign) == {v.R3_ROUTING_INCOMPLETE}
    campaign.flow_block = FlowBlockFactory()
    assert codes_of(campaign) == {v.BLOCK_OTHER_BOT}
    campaign.flow_block = FlowBlockFactory(bot=campaign.bot)
    assert codes_of(campaign) == set()


def test_R3_team_routing_needs_a_team_of_the_routing_bot_with_desk():
    bot = BotFactory()
    campaign = CampaignFactory.build(
        bot=bot,
        routing=Campaign.Routing.TEAM,
        routing_bot=bot,
        flow_block=None,
        template=MessageTemplateFactory(bot=bot),
        team=None,
    )
    assert codes_of(campaign) == {v.R3_ROUTING_INCOMPLETE}
    campaign.team = TeamFactory()
    assert codes_of(campaign) == {v.TEAM_OTHER_BOT}
    campaign.team = TeamFactory(bot=bot)
    assert codes_of(campaign) == set()
    bot.desk_enabled = False
    assert codes_of(campaign) == {v.TEAM_DESK_DISABLED}
