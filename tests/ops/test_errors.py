"""An unreachable database is a retryable 503, never a 500 nor a 200 that loses a webhook."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.bots.factories import BotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def envelope() -> dict:
    return {"id": "env-1", "from": "5511987654321@wa.gw.msging.net", "type": "text/plain",
            "content": "Oi"}  # fmt: skip


def test_inbound_webhook_answers_503_with_retry_after_when_the_database_is_down(
    client, monkeypatch
):
    bot = BotFactory()

    def down(*args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr("desk.views_webhooks.inbound_receive", down)
    response = client.post(
        reverse("desk_messages_webhook", args=[bot.slug]),
        envelope(),
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"] == "database_unavailable"


def test_a_page_says_so_in_plain_words_when_the_database_is_down(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("bots.views.top_level_bots_for", down)
    from tests.bots.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post(reverse("switch_bot"), {"bot": "1"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")


def test_any_other_error_stays_a_500(client, monkeypatch):
    bot = BotFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("desk.views_webhooks.inbound_receive", broken)
    response = client.post(
        reverse("desk_messages_webhook", args=[bot.slug]),
        envelope(),
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )
    assert response.status_code == 500
