import pytest
from django.http import Http404
from django.test import RequestFactory

from bots.lime import WebhookAuthError, node_to_phone, webhook_bot
from tests.bots.factories import BotFactory, SubBotFactory


@pytest.mark.parametrize(
    ("node", "phone"),
    [
        ("5511999998888@wa.gw.msging.net", "+5511999998888"),
        ("5511999998888@wa.gw.msging.net/instance-1", "+5511999998888"),
    ],
)
def test_node_to_phone(node, phone):
    assert node_to_phone(node) == phone


@pytest.mark.parametrize("node", ["", "abc@wa.gw.msging.net", "55@wa", None, "5511999998888"])
def test_node_to_phone_refuses_what_is_not_a_phone(node):
    with pytest.raises(ValueError):
        node_to_phone(node)


@pytest.mark.django_db
def test_webhook_bot_checks_the_secret():
    bot = BotFactory()
    rf = RequestFactory()
    good = rf.post("/", HTTP_AUTHORIZATION=f"Key {bot.webhook_secret}")
    assert webhook_bot(good, bot.slug) == bot
    for header in ("", "Key wrong", f"Bearer {bot.webhook_secret}"):
        with pytest.raises(WebhookAuthError):
            webhook_bot(rf.post("/", HTTP_AUTHORIZATION=header), bot.slug)
    with pytest.raises(Http404):
        webhook_bot(good, "nope")
    sub = SubBotFactory()
    with pytest.raises(Http404):
        webhook_bot(rf.post("/", HTTP_AUTHORIZATION=f"Key {sub.webhook_secret}"), sub.slug)
