"""/healthz and /readyz: JSON, 200 or 503, each dependency named."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from tests.campaigns.factories import SchedulerHeartbeatFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ok_with_the_database_and_a_ticking_scheduler(client):
    SchedulerHeartbeatFactory()
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["scheduler"]["ok"]
    assert checks["scheduler"]["age_seconds"] < 5
    assert checks["channel_layer"]["ok"]  # a message went through the layer and came back
    assert "broker" not in checks  # eager Celery has none


def test_readyz_is_503_when_the_channel_layer_loses_messages(client, monkeypatch):
    from channels.layers import InMemoryChannelLayer

    SchedulerHeartbeatFactory()

    async def lost(self, channel, message):
        return None  # accepted, never delivered

    monkeypatch.setattr(InMemoryChannelLayer, "send", lost)
    monkeypatch.setattr("blipportal.ops.health.CHECK_TIMEOUT_SECONDS", 0.2)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["error"] == "TimeoutError"


def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    from blipportal.ops import health

    SchedulerHeartbeatFactory()

    def down():
        raise OperationalError("connection refused")  # what Django raises for psycopg's

    monkeypatch.setattr(health, "check_database", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }


def test_readyz_is_503_while_no_scheduler_ticks(client, settings):
    SchedulerHeartbeatFactory(beat_at=timezone.now() - dt.timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["ok"] is False
    settings.READYZ_REQUIRE_SCHEDULER = False
    assert client.get("/readyz").status_code == 200


def test_readyz_checks_the_broker_when_celery_has_one(client, settings, monkeypatch):
    from blipportal.ops import health

    SchedulerHeartbeatFactory()
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def unreachable():
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(health, "check_broker", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["error"] == "ConnectionRefusedError"


def test_probes_answer_whatever_the_host_and_never_redirect(client, settings):
    SchedulerHeartbeatFactory()
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Everything else still refuses an unknown host.
    assert client.get("/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400
