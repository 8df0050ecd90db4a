"""/metrics: Prometheus text behind a token, with sends, failures, inbound latency and state."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from campaigns.metrics import count_failed, count_sent
from desk.models import TicketStatus
from tests.desk.factories import TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-metrics-token"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def samples(response) -> dict[tuple, float]:
    text = response.content.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_no_token_configured_means_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_sends_failures_and_tickets_waiting_per_team(client, token):
    before = samples(client.get("/metrics", **token))
    count_sent(3)
    count_failed("opted_out", 2)
    team = TeamFactory(name="Vendas")
    TicketFactory.create_batch(2, bot=team.bot, team=team, status=TicketStatus.WAITING)
    response = client.get("/metrics", **token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    after = samples(response)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0)

    assert grew("blipportal_sends_total", outcome="sent") == 3
    assert grew("blipportal_sends_total", outcome="failed") == 2
    assert grew("blipportal_send_failures_total", reason="opted_out") == 2
    assert after[("blipportal_tickets_waiting", (("bot", team.bot.slug), ("team", "Vendas")))] == 2


def test_the_inbound_webhook_feeds_the_latency_histogram(client, token):
    from tests.bots.factories import BotFactory

    before = samples(client.get("/metrics", **token)).get(
        ("blipportal_inbound_seconds_count", ()), 0
    )
    bot = BotFactory()
    client.post(
        f"/webhooks/blip/{bot.slug}/messages",
        {
            "id": "m-1",
            "from": "5511987654321@wa.gw.msging.net",
            "type": "text/plain",
            "content": "Oi",
        },
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )
    after = samples(client.get("/metrics", **token))
    assert after[("blipportal_inbound_seconds_count", ())] == before + 1
    assert ("blipportal_inbound_seconds_bucket", (("le", "+Inf"),)) in after


def test_the_engine_counts_what_it_sends_and_fails(client, token):
    from campaigns.sending.engine import send_recipients
    from tests.campaigns.factories import bulk_campaign_with_recipients

    campaign = bulk_campaign_with_recipients(3, status="sending")
    opted = campaign.recipients.first().contact
    opted.opted_out = True
    opted.save()
    before = samples(client.get("/metrics", **token))
    send_recipients(
        campaign_id=campaign.pk,
        recipient_ids=list(campaign.recipients.values_list("pk", flat=True)),
    )
    after = samples(client.get("/metrics", **token))
    key = ("blipportal_sends_total", (("outcome", "sent"),))
    assert after[key] - before.get(key, 0) == 2
    key = ("blipportal_send_failures_total", (("reason", "opted_out"),))
    assert after[key] - before.get(key, 0) == 1


def test_a_database_outage_still_answers_the_scrape(client, token, monkeypatch):
    from blipportal.ops import metrics

    def down(self):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(metrics.StateCollector, "_database", down)
    response = client.get("/metrics", **token)
    assert response.status_code == 200
    assert samples(response)[("blipportal_scrape_error", (("source", "database"),))] == 1


def test_queue_depth_reads_the_redis_lists_behind_a_queue():
    from blipportal.ops.metrics import _queue_length

    class Client:
        lists = {"celery": 3, "celery\x06\x163": 2}

        def llen(self, key):
            return self.lists.get(key, 0)

    class Channel:
        priority_steps = [0, 3, 6, 9]
        client = Client()

        def _q_for_pri(self, queue, pri):
            return f"{queue}\x06\x16{pri}" if pri else queue

    assert _queue_length(Channel(), "celery") == 5
