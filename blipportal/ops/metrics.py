"""``/metrics`` for Prometheus: event counters from every process, state read at scrape time.

Two kinds of figures, chosen for what stays exact across gunicorn and Celery processes:

* Events (sends by outcome, failures by reason, the inbound latency histogram) are counted where
  they happen (``campaigns.metrics``, ``desk.metrics``). With ``PROMETHEUS_MULTIPROC_DIR`` set,
  every process of the host writes them to that directory and this view adds them up
  (prometheus_client's multiprocess mode): a SIGKILLed worker's counts survive, a restart of the
  web server loses nothing. The directory is emptied when the process set starts (Procfile).
* State (tickets waiting per team, recipients of campaigns being sent, the broker's queue
  length, the scheduler's heartbeat age) is read from the database and the broker when scraped:
  one source of truth, whichever process answers the scrape.

The endpoint needs ``Authorization: Bearer <METRICS_TOKEN>``; without a configured token it does
not exist (404).
"""

from __future__ import annotations

import hmac
import logging
import os

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from campaigns.metrics import SEND_FAILURES, SENDS
from desk.metrics import INBOUND_SECONDS

logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def metrics_view(request) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return HttpResponse("Not Found", status=404, content_type="text/plain")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        response = HttpResponse("Unauthorized", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE)


def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:  # one process (make run, tests): its own counters
        for collector in (SENDS, SEND_FAILURES, INBOUND_SECONDS):
            registry.register(collector)
    registry.register(StateCollector())
    return registry


class StateCollector:
    """Gauges read from the database and the broker at each scrape."""

    def collect(self):
        for name, read in (
            ("database", self._database),
            ("broker", self._broker),
        ):
            try:
                yield from read()
            except Exception as exc:  # a scrape during an outage still answers, saying so
                logger.warning("metrics: cannot read the %s: %r", name, exc)
                error = GaugeMetricFamily(
                    "blipportal_scrape_error", "A source /metrics could not read", labels=["source"]
                )
                error.add_metric([name], 1)
                yield error

    def _database(self):
        from campaigns.heartbeat import scheduler_heartbeat_age
        from campaigns.models import Campaign, Recipient
        from desk.models import Ticket, TicketStatus

        waiting = GaugeMetricFamily(
            "blipportal_tickets_waiting", "Tickets waiting for an attendant", labels=["bot", "team"]
        )
        rows = (
            Ticket.objects.filter(status=TicketStatus.WAITING)
            .values_list("bot__slug", "team__name")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for bot, team, n in rows:
            waiting.add_metric([bot, team], n)
        yield waiting
        recipients = GaugeMetricFamily(
            "blipportal_sending_recipients",
            "Recipients of the campaigns being sent now, by status",
            labels=["status"],
        )
        rows = (
            Recipient.objects.filter(campaign__status=Campaign.Status.SENDING)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for status, n in rows:
            recipients.add_metric([status], n)
        yield recipients
        age = scheduler_heartbeat_age()
        if age is not None:
            yield GaugeMetricFamily(
                "blipportal_scheduler_heartbeat_age_seconds",
                "Seconds since a scheduler last ticked",
                value=age.total_seconds(),
            )

    def _broker(self):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        from celery import current_app

        depth = GaugeMetricFamily(
            "blipportal_queue_depth", "Tasks waiting in the broker's queue", labels=["queue"]
        )
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            for queue in sorted({q.name for q in current_app.amqp.queues.values()} or {"celery"}):
                depth.add_metric([queue], _queue_length(channel, queue))
        yield depth


def _queue_length(channel, queue: str) -> int:
    """Messages waiting in ``queue``: on Redis the lists behind it (one per priority step),
    which exist only while not empty; elsewhere the broker's own count."""
    if hasattr(channel, "priority_steps") and hasattr(channel, "_q_for_pri"):
        client = channel.client
        return sum(client.llen(channel._q_for_pri(queue, p)) for p in channel.priority_steps)
    return channel.queue_declare(queue=queue, passive=True).message_count
