"""The scheduler's heartbeat: written by every tick, read by the campaign list and /readyz.

``scheduler_beat`` is the write (an upsert, safe from several schedulers at once);
``scheduler_heartbeat_age`` and ``scheduler_is_stale`` are the reads.
"""

import datetime as dt
import os
import socket

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from campaigns.models import SchedulerHeartbeat

# No tick for this long means no scheduler is running (setting SCHEDULER_STALE_AFTER_SECONDS).
# Beat ticks every SCHEDULER_INTERVAL_SECONDS (30 s by default): three missed ticks and some.
STALE_AFTER_SECONDS = 120.0


def scheduler_beat(*, source: str, now: dt.datetime | None = None) -> None:
    """Record that the scheduler ``source`` ("command" or "beat") is ticking now."""
    now = now or timezone.now()
    host = f"{socket.gethostname()}:{os.getpid()}"[:200]
    # One statement either way (INSERT … ON CONFLICT DO UPDATE): two schedulers ticking at the
    # same moment never fail on the primary key.
    SchedulerHeartbeat.objects.bulk_create(
        [SchedulerHeartbeat(source=source, beat_at=now, host=host)],
        update_conflicts=True,
        unique_fields=["source"],
        update_fields=["beat_at", "host"],
    )


def scheduler_last_beat() -> dt.datetime | None:
    """The newest tick of any scheduler, or None when none ever ran."""
    return SchedulerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]


def scheduler_heartbeat_age(*, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long ago any scheduler last ticked; None when none ever ran."""
    last = scheduler_last_beat()
    if last is None:
        return None
    return max(dt.timedelta(0), (now or timezone.now()) - last)


def stale_after() -> dt.timedelta:
    return dt.timedelta(
        seconds=getattr(settings, "SCHEDULER_STALE_AFTER_SECONDS", STALE_AFTER_SECONDS)
    )


def scheduler_is_stale(*, now: dt.datetime | None = None) -> bool:
    """True when no scheduler ticked within ``stale_after()`` (or none ever did)."""
    age = scheduler_heartbeat_age(now=now)
    return age is None or age > stale_after()
