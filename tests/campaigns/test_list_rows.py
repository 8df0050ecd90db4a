"""The list's rows and the campaign's page say where a reply goes in the same words, though the
list reads the block's and team's names with its query and the creator from its filter."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import override

from bots.models import BotMembership
from campaigns import selectors
from campaigns.models import Campaign, CampaignResults
from campaigns.templatetags.report_tags import percent
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    FlowBlockFactory,
    SubBotFactory,
    UserFactory,
)
from tests.campaigns.factories import CampaignFactory
from tests.desk.factories import TeamFactory

pytestmark = pytest.mark.django_db


def shown_on_both_pages(client, bot, campaign, expected):
    user = UserFactory(staff=True)
    BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.OPERATOR)
    client.force_login(user)
    listed = client.get(reverse("campaigns:list")).content.decode()
    detail = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert escape(expected) in listed
    assert f'<dd id="campaign-routing">{escape(expected)}</dd>' in detail


def test_flow_routing_to_a_sub_bot_names_the_sub_bot_and_the_block(client):
    sub = SubBotFactory(name="Vendas")
    campaign = CampaignFactory(
        bot=sub.router, routing_bot=sub, flow_block=FlowBlockFactory(bot=sub, name="Ofertas")
    )
    routing = str(campaign.get_routing_display())
    shown_on_both_pages(client, sub.router, campaign, f"{routing} · Vendas · Ofertas")


def test_team_routing_names_the_team_escaped(client):
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Pós & Vendas")
    campaign = CampaignFactory(
        bot=bot, bulk=True, routing=Campaign.Routing.TEAM, team=team, flow_block=None
    )
    routing = str(campaign.get_routing_display())
    shown_on_both_pages(client, bot, campaign, f"{routing} · Pós & Vendas")


def test_attendant_routing_names_the_human_block_and_the_email(client):
    bot = BotFactory()
    campaign = CampaignFactory(
        bot=bot,
        routing=Campaign.Routing.ATTENDANT,
        flow_block=FlowBlockFactory(bot=bot, human=True, name="Humano"),
        attendant_email="ana@example.com",
    )
    routing = str(campaign.get_routing_display())
    shown_on_both_pages(client, bot, campaign, f"{routing} · Humano · ana@example.com")


def test_rows_take_their_creator_from_the_filter_list(django_assert_num_queries):
    bot = BotFactory()
    ana, bruno = UserFactory(first_name="Ana"), UserFactory(first_name="Bruno")
    CampaignFactory(bot=bot, created_by=ana)
    CampaignFactory(bot=bot, created_by=bruno)
    CampaignFactory(bot=bot, created_by=None)
    creators = list(selectors.campaign_creators(bot=bot))
    with django_assert_num_queries(1):
        rows = selectors.list_rows(
            selectors.campaign_list(bot=bot), creators=creators, overdue_before=timezone.now()
        )
        names = sorted(str(r.created_by and r.created_by.first_name) for r in rows)
    assert names == ["Ana", "Bruno", "None"]


def test_a_creator_missing_from_the_filter_list_still_loads():
    bot = BotFactory()
    campaign = CampaignFactory(bot=bot, created_by=UserFactory(first_name="Carla"))
    (row,) = selectors.list_rows(
        selectors.campaign_list(bot=bot), creators=[], overdue_before=timezone.now()
    )
    assert row.created_by.first_name == "Carla" and row.pk == campaign.pk


def test_rows_say_when_and_link_the_reply_rate(client):
    bot = BotFactory()
    sent = CampaignFactory(bot=bot, status=Campaign.Status.SENT, dispatched_at=timezone.now())
    CampaignResults.objects.create(
        campaign=sent, total=4, sent=4, replied=1, refreshed_at=timezone.now()
    )
    draft = CampaignFactory(bot=bot)
    rows = {
        row.pk: row
        for row in selectors.list_rows(
            selectors.campaign_list(bot=bot), creators=[], overdue_before=timezone.now()
        )
    }
    with override("pt-br"):
        when = date_format(timezone.localtime(sent.dispatched_at), "SHORT_DATETIME_FORMAT")
        assert rows[sent.pk].when_text == when
        assert rows[sent.pk].rate_text == percent(0.25)
    assert rows[sent.pk].report_url == reverse("campaigns:report", args=[sent.pk])
    assert rows[sent.pk].detail_url == reverse("campaigns:detail", args=[sent.pk])
    assert (rows[draft.pk].when_text, rows[draft.pk].rate_text) == ("—", "")
    assert rows[draft.pk].row_results is None and not rows[draft.pk].is_overdue
