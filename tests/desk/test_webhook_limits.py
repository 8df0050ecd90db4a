"""An oversized webhook body is a JSON 400 ``too_large`` like any malformed envelope, logged as
one warning line, never as an error with a traceback (issue 8, item 6)."""

import json
import logging

import pytest

from bots.lime import MAX_WEBHOOK_BODY
from tests.bots.factories import BotFactory

pytestmark = pytest.mark.django_db


def _post(client, url, bot, size):
    filler = "x" * size
    body = json.dumps({"id": "m1", "from": "5511987654321@wa.gw.msging.net", "content": filler})
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )


@pytest.mark.parametrize("kind", ["messages", "notifications"])
@pytest.mark.parametrize(
    "size",
    [MAX_WEBHOOK_BODY + 1, 11 * 1024 * 1024],  # over our limit; over Django's upload cap too
    ids=["over-the-webhook-limit", "over-djangos-cap"],
)
def test_an_oversized_body_is_a_json_400_without_a_traceback(client, caplog, kind, size):
    bot = BotFactory()
    with caplog.at_level(logging.INFO):
        response = _post(client, f"/webhooks/blip/{bot.slug}/{kind}", bot, size)
    assert response.status_code == 400
    assert response.json()["error"] == "too_large"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_a_body_within_the_limit_is_read(client):
    bot = BotFactory()
    response = _post(client, f"/webhooks/blip/{bot.slug}/messages", bot, 1000)
    assert response.json()["error"] == "missing_type"  # parsed, refused for its content
