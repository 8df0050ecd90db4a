"""The admin pages a bot administrator uses most, in Portuguese, as a person sees them."""

import pytest

from bots.models import Bot
from campaigns.models import Campaign, MessageTemplate
from desk.models import Team
from tests.browser.conftest import PHONE, screenshot


@pytest.fixture
def demo_campaign(demo):
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    return Campaign.objects.create(
        bot=router,
        name="Retomada de carrinho",
        kind=Campaign.Kind.INDIVIDUAL,
        template=MessageTemplate.objects.get(bot=router, name="boas_vindas"),
        parameters={"body": []},
        routing=Campaign.Routing.ATTENDANT,
        routing_bot=vendas,
        flow_block=vendas.blocks.get(kind="human"),
        attendant_email="ana@example.com",
    )


@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("admin-bot", lambda: f"bots/bot/{Bot.objects.get(slug='demo-router').pk}/change/", "bot"),
        ("admin-bots", lambda: "bots/bot/", "bot"),
        (
            "admin-team",
            lambda: f"desk/team/{Team.objects.get(bot__slug='vendas', name='Vendas').pk}/change/",
            "equipe",
        ),
        (
            "admin-campaign",
            lambda: f"campaigns/campaign/{Campaign.objects.get().pk}/change/",
            "campanha",
        ),
        ("admin-index", lambda: "", "Administração"),
    ],
)
def test_admin_pages_in_portuguese(page, login, demo_campaign, name, path, heading):
    login("admin", "admin", target=f"/admin/{path()}")
    title = page.locator("#content h1").inner_text()
    assert heading.lower() in title.lower()
    body = page.locator("body").inner_text()
    assert "Django administration" not in body
    assert "Traceback" not in body
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390")
