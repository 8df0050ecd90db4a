"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work), as JSON.

Readiness checks what a request or a send needs: the database, the broker when Celery has one,
the channel layer when Channels is configured, and the scheduler's heartbeat (a campaign due now
is only dispatched while some scheduler ticks). Each check is bounded in time and reports its
latency; the answer is 503 as soon as one required check fails. Error details stay in the logs:
the probe is public.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0


def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request) -> JsonResponse:
    checks = {name: _timed(name, check) for name, check in _checks().items()}
    ready = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _checks() -> dict[str, Callable[[], dict]]:
    checks: dict[str, Callable[[], dict]] = {"database": check_database}
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = check_broker
    if getattr(settings, "CHANNEL_LAYERS", None):
        checks["channel_layer"] = check_channel_layer
    checks["scheduler"] = check_scheduler
    return checks


def _timed(name: str, check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:  # any failure makes the process unready; the log says which
        logger.warning("readyz: %s check failed: %r", name, exc)
        result = {"ok": False, "error": type(exc).__name__}
        if name == "database":
            connection.close()  # a broken connection must not outlive the outage
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_broker() -> dict:
    from celery import current_app

    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        conn.default_channel  # noqa: B018 - opening the channel talks to the broker (Redis: PING)
    return {}


def check_channel_layer() -> dict:
    """A message sent to a fresh channel comes back: the layer (e.g. Redis) carries messages."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def round_trip() -> dict:
        name = await layer.new_channel("readyz")
        await layer.send(name, {"type": "readyz.ping"})
        return await asyncio.wait_for(layer.receive(name), CHECK_TIMEOUT_SECONDS)

    if async_to_sync(round_trip)().get("type") != "readyz.ping":
        raise RuntimeError("the channel layer returned another message")
    return {}


def check_scheduler() -> dict:
    from campaigns.heartbeat import scheduler_heartbeat_age, stale_after

    age, limit = scheduler_heartbeat_age(), stale_after()
    required = getattr(settings, "READYZ_REQUIRE_SCHEDULER", True)
    fresh = age is not None and age <= limit
    return {
        "ok": fresh or not required,
        "age_seconds": None if age is None else round(age.total_seconds(), 1),
        "stale_after_seconds": limit.total_seconds(),
    }
