"""Every periodic job of every app, run inline at its interval: Celery beat for `make run`.

In production Celery beat reads ``settings.CELERY_BEAT_SCHEDULE`` and a worker runs the tasks.
`make run` has neither (tasks run eagerly), so ``python manage.py run_dev`` runs the same schedule
in a thread of the server's own process (``start_in_thread``): the Desk timers' live events then
reach the sockets through the in-memory channel layer, which only spans one process.
``python manage.py run_periodic`` runs it in a process of its own. An app adds a periodic job by
adding an entry to ``CELERY_BEAT_SCHEDULE``; nothing here changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class PeriodicEntry:
    """One line of the beat schedule, with when it last ran (monotonic seconds)."""

    name: str
    task: str
    every: float | None  # seconds; None for a crontab-like schedule asked at each tick
    schedule: Any = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run: float | None = None
    last_run_at: dt.datetime | None = None

    def is_due(self, now: float, wall: dt.datetime) -> bool:
        if self.last_run is None:
            return True  # as beat does: every job runs once at start
        if self.every is not None:
            return now - self.last_run >= self.every
        return bool(self.schedule.is_due(self.last_run_at)[0])


def entries_from_schedule(schedule: Mapping[str, Mapping[str, Any]]) -> list[PeriodicEntry]:
    """The beat schedule as entries; a number or timedelta is an interval in seconds."""
    entries = []
    for name, spec in schedule.items():
        when = spec["schedule"]
        every = _seconds(when)
        entries.append(
            PeriodicEntry(
                name=name,
                task=spec["task"],
                every=every,
                schedule=None if every is not None else when,
                args=tuple(spec.get("args", ())),
                kwargs=dict(spec.get("kwargs", {})),
            )
        )
    return entries


def _seconds(when: Any) -> float | None:
    if isinstance(when, int | float):
        return float(when)
    if isinstance(when, dt.timedelta):
        return when.total_seconds()
    run_every = getattr(when, "run_every", None)  # celery.schedules.schedule
    if isinstance(run_every, dt.timedelta) and not hasattr(when, "hour"):
        return run_every.total_seconds()
    if not hasattr(when, "is_due"):
        raise ValueError(f"unsupported schedule {when!r}")
    return None


def run_due(
    entries: Iterable[PeriodicEntry],
    call: Callable[[PeriodicEntry], Any],
    *,
    now: float,
    wall: dt.datetime,
) -> list[str]:
    """Run every due entry once, each isolated from the others' failures; names of those run."""
    ran = []
    for entry in entries:
        if not entry.is_due(now, wall):
            continue
        entry.last_run, entry.last_run_at = now, wall
        ran.append(entry.name)
        try:
            call(entry)
        except Exception:
            # One broken job must not stop the others: log it and try again at its next turn.
            logger.exception("periodic job %s (%s) failed", entry.name, entry.task)
    return ran


def run_loop(
    entries: list[PeriodicEntry],
    call: Callable[[PeriodicEntry], Any],
    *,
    tick: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Run due entries, sleep a tick, again, until ``stop()`` says so."""
    while not stop():
        run_due(entries, call, now=clock(), wall=wall())
        sleep(tick)


def call_task(entry: PeriodicEntry) -> Any:
    """Run the registered Celery task in this process, as a worker would."""
    from blipportal.celery import app

    return app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs, throw=True).get()


def registered_entries(schedule: Mapping[str, Mapping[str, Any]]) -> list[PeriodicEntry]:
    """The schedule's entries, after checking that every task they name is registered."""
    from blipportal.celery import app

    app.loader.import_default_modules()
    entries = entries_from_schedule(schedule)
    unknown = sorted({e.task for e in entries} - set(app.tasks))
    if unknown:
        raise LookupError(f"CELERY_BEAT_SCHEDULE names unregistered tasks: {', '.join(unknown)}")
    return entries


def start_in_thread(
    entries: list[PeriodicEntry],
    call: Callable[[PeriodicEntry], Any] = call_task,
    *,
    tick: float = 1.0,
) -> threading.Event:
    """Run ``entries`` in a daemon thread of this process; setting the returned event stops it."""
    stop = threading.Event()

    def loop() -> None:
        from django.db import connections

        try:
            run_loop(entries, call, tick=tick, sleep=stop.wait, stop=stop.is_set)
        finally:
            connections.close_all()

    threading.Thread(target=loop, name="periodic-jobs", daemon=True).start()
    return stop
