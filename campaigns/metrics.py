"""Prometheus counters of the sending engine (exposed at /metrics by blipportal.ops.metrics).

Events counted where they happen, in whichever process sends: with PROMETHEUS_MULTIPROC_DIR set
(`make prod-local` and the Procfile do) every gunicorn and Celery process writes its counts to
that directory and /metrics adds them up, so a SIGKILLed worker's counts are not lost.
"""

from prometheus_client import Counter

SENDS = Counter(
    "blipportal_sends",
    "Recipients whose send ended, by outcome (sent: the gateway accepted it; failed)",
    ["outcome"],
)
SEND_FAILURES = Counter(
    "blipportal_send_failures", "Recipients that ended Failed, by reason code", ["reason"]
)


def count_sent(n: int = 1) -> None:
    if n:
        SENDS.labels(outcome="sent").inc(n)


def count_failed(reason: str, n: int = 1) -> None:
    if n:
        SENDS.labels(outcome="failed").inc(n)
        SEND_FAILURES.labels(reason=reason or "unknown").inc(n)
