"""A bot admin creates an API key in the admin, copies it from the page that shows it once, and
a customer's system sends with it; the API's docs page works offline (assets from the app)."""

import httpx
import pytest

from api.models import ApiKey
from bots.models import Bot, BotMembership
from campaigns.models import Recipient
from tests.browser.conftest import PHONE, screenshot


@pytest.fixture
def bot_admin(demo):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("gestora", password="demo", is_staff=True)
    BotMembership.objects.create(
        user=user, bot=Bot.objects.get(slug="demo-router"), role=BotMembership.Role.ADMIN
    )
    return user


def test_admin_creates_a_key_shown_once_and_it_sends(page, login, bot_admin):
    login("gestora", "demo", target="/admin/api/apikey/add/")
    page.select_option("#id_bot", label="Demo Router")
    page.fill("#id_name", "CRM de vendas")
    page.click("input[name=_save]")
    clear = page.get_by_test_id("api-key-clear").input_value()
    assert clear.startswith("bpk_")
    assert "Copie agora" in page.locator("#content").inner_text()
    screenshot(page, "admin-api-key-created")
    page.set_viewport_size(PHONE)
    screenshot(page, "admin-api-key-created-390")
    page.goto(f"{page.base_url}/admin/api/apikey/")
    assert clear not in page.content()
    assert "CRM de vendas" in page.locator("#result_list").inner_text()

    response = httpx.post(
        f"{page.base_url}/api/v1/messages",
        headers={"Authorization": f"Key {clear}", "Idempotency-Key": "browser-1"},
        json={
            "phone": "(11) 97777-1234",
            "template": "boas_vindas",
            "routing": {
                "type": "attendant",
                "bot": "vendas",
                "flow_block": "desk:atendimento-vendas",
                "attendant_email": "ana@example.com",
            },
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert Recipient.objects.get(campaign_id=response.json()["id"]).status == "sent"
    assert ApiKey.objects.get().last_used_at is not None


def test_docs_page_renders_from_local_assets(page):
    blocked = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(page.base_url)
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    page.goto(f"{page.base_url}/api/v1/docs")
    page.locator(".opblock-summary-path", has_text="/api/v1/messages").first.wait_for()
    assert blocked == []
    screenshot(page, "api-docs")
    page.set_viewport_size(PHONE)
    screenshot(page, "api-docs-390")


def test_webhook_subscription_and_delivery_log_pages(page, login, bot_admin):
    login("gestora", "demo", target="/admin/api/webhooksubscription/add/")
    page.select_option("#id_bot", label="Demo Router")
    page.fill("#id_url", "https://crm.example.com/blipportal/eventos")
    page.check("input[name=events][value='reply.routed']")
    page.check("input[name=events][value='recipient.status_changed']")
    page.click("input[name=_continue]")
    secret = page.locator(".field-signing_secret code").inner_text()
    assert secret.startswith("whsec_")
    screenshot(page, "admin-webhook-subscription")
    page.set_viewport_size(PHONE)
    screenshot(page, "admin-webhook-subscription-390")
