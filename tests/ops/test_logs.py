"""Structured logs: JSON lines carrying the request id and the bot, campaign and ticket ids."""

import json
import logging

import pytest
from django.urls import reverse

from blipportal.ops import logs
from tests.bots.factories import BotMembershipFactory

pytestmark = pytest.mark.django_db


def json_line(record: logging.LogRecord) -> dict:
    logs.ContextFilter().filter(record)
    return json.loads(logs.Formatter().format(record))


@pytest.fixture
def seen(monkeypatch):
    """Every record the portal's views log during the request, as JSON."""
    records: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(json_line(record))

    handler = Keep()
    logging.getLogger().addHandler(handler)
    yield records
    logging.getLogger().removeHandler(handler)


def test_ids_from_the_url_reach_the_log_lines_of_the_view(client, seen, monkeypatch):
    from campaigns import views_sending
    from tests.campaigns.factories import CampaignFactory

    campaign = CampaignFactory()
    client.force_login(BotMembershipFactory(bot=campaign.bot, role="operator").user)
    real = views_sending.campaign_progress

    def progress(*, campaign):
        logging.getLogger("campaigns.views_sending").warning("progress asked")
        return real(campaign=campaign)

    monkeypatch.setattr(views_sending, "campaign_progress", progress)
    response = client.get(
        reverse("campaign_progress", args=[campaign.pk]), HTTP_X_REQUEST_ID="proxy-req-123456"
    )
    assert response.status_code == 200
    line = next(r for r in seen if r["message"] == "progress asked")
    assert line["request_id"] == "proxy-req-123456"
    assert line["campaign"] == str(campaign.pk)
    assert line["level"] == "WARNING" and line["logger"] == "campaigns.views_sending"


def test_an_insane_request_id_is_replaced(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32


def test_a_ticket_url_puts_the_bot_and_the_ticket_in_the_context(rf):
    middleware = logs.RequestContextMiddleware(lambda request: None)
    request = rf.get("/desk/loja/tickets/7/")
    from django.urls import resolve

    request.resolver_match = resolve("/desk/loja/tickets/7/")
    logs._context.set({"request_id": "r" * 16})
    middleware.process_view(request, None, (), {"bot_slug": "loja", "pk": 7})
    assert logs.current() == {"request_id": "r" * 16, "bot": "loja", "ticket": "7"}


def test_a_task_logs_with_the_request_id_that_enqueued_it_and_its_campaign():
    headers: dict = {}
    logs._context.set({"request_id": "web-req-0001"})
    logs._carry_request_id(headers=headers)
    assert headers["request_id"] == "web-req-0001"

    class Request:
        request_id = "web-req-0001"

    class Task:
        request = Request()

    logs._context.set({})
    logs._enter_task(task=Task(), task_id="celery-id", kwargs={"campaign_id": 42})
    record = logging.LogRecord("campaigns.tasks", logging.INFO, __file__, 1, "sending", (), None)
    line = json_line(record)
    assert (line["request_id"], line["campaign"], line["message"]) == (
        "web-req-0001",
        "42",
        "sending",
    )
    logs._leave_task()
    assert logs.current() == {}
