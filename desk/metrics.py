"""Prometheus metrics of the inbound pipeline (exposed at /metrics by blipportal.ops.metrics)."""

from prometheus_client import Histogram

# From the webhook's arrival to the routing decision applied and committed.
INBOUND_SECONDS = Histogram(
    "blipportal_inbound_seconds",
    "Time to receive, route and record one inbound contact message",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
