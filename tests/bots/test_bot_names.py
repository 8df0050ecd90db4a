"""Issue 10 item 5: bots and sub-bots by their display names ("Router › Sub-bot"), never slugs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.bots.factories import BotFactory, SubBotFactory, UserFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendas():
    router = BotFactory(as_router=True, slug="demo-router", name="Demo Router")
    return SubBotFactory(router=router, slug="vendas", name="Vendas", service_name="vendas")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_sub_bot_is_named_by_its_router_and_its_name(vendas):
    assert str(vendas) == "Demo Router › Vendas"
    assert str(vendas.router) == "Demo Router"


def test_admin_selects_and_lists_name_sub_bots_not_their_slugs(admin_client, vendas):
    TeamFactory(bot=vendas, name="Vendas")
    form = admin_client.get(reverse("admin:desk_attendant_add")).content.decode()
    assert ">Demo Router › Vendas</option>" in form
    listing = admin_client.get(reverse("admin:desk_team_changelist")).content.decode()
    assert "Demo Router › Vendas" in listing
    assert "Vendas (vendas)" not in form + listing


@pytest.mark.parametrize("admin_url", ["admin:desk_team_changelist", "admin:bots_bot_changelist"])
def test_admin_lists_load_the_routers_in_a_fixed_number_of_queries(admin_client, admin_url):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(reverse(admin_url)).status_code == 200
        return len(ctx)

    TeamFactory(bot=SubBotFactory())
    one = queries()
    for _ in range(4):
        TeamFactory(bot=SubBotFactory())
    assert queries() == one


def test_the_wizard_offers_sub_bots_by_name(client, vendas):
    from bots.models import BotMembership
    from tests.bots.factories import BotMembershipFactory

    user = UserFactory()
    BotMembershipFactory(user=user, bot=vendas.router, role=BotMembership.Role.OPERATOR)
    AttendantFactory(bot=vendas)
    client.force_login(user)
    from campaigns.selectors import routing_targets

    assert [str(b) for b in routing_targets(bot=vendas.router)] == ["Demo Router › Vendas"]
