"""run_periodic: every CELERY_BEAT_SCHEDULE entry runs inline at its own interval."""

import datetime as dt
from io import StringIO

import pytest
from celery import shared_task
from celery.schedules import crontab, schedule
from django.core.management import CommandError, call_command

from blipportal.periodic import entries_from_schedule, run_due, run_loop, start_in_thread

CALLS: list[tuple] = []


@shared_task(name="tests.periodic_probe")
def periodic_probe(label="probe"):
    CALLS.append(("probe", label))
    return label


@shared_task(name="tests.periodic_broken")
def periodic_broken():
    CALLS.append(("broken",))
    raise RuntimeError("boom")


WALL = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


def test_schedule_forms_become_intervals():
    entries = entries_from_schedule(
        {
            "a": {"task": "x", "schedule": 30},
            "b": {"task": "y", "schedule": dt.timedelta(minutes=2), "kwargs": {"n": 1}},
            "c": {"task": "z", "schedule": schedule(dt.timedelta(seconds=5))},
            "d": {"task": "w", "schedule": crontab(minute="*/5")},
        }
    )
    assert [(e.name, e.every) for e in entries] == [("a", 30), ("b", 120), ("c", 5), ("d", None)]
    assert entries[1].kwargs == {"n": 1}
    with pytest.raises(ValueError):
        entries_from_schedule({"bad": {"task": "x", "schedule": "soon"}})


def test_each_entry_runs_at_start_then_at_its_own_interval():
    entries = entries_from_schedule(
        {"fast": {"task": "f", "schedule": 10}, "slow": {"task": "s", "schedule": 25}}
    )
    calls = []
    clock = {"now": 0.0}

    def sleep(seconds):
        clock["now"] += seconds

    run_loop(
        entries,
        lambda e: calls.append((clock["now"], e.name)),
        tick=5,
        clock=lambda: clock["now"],
        wall=lambda: WALL,
        sleep=sleep,
        stop=lambda: clock["now"] > 50,
    )
    assert [t for t, n in calls if n == "fast"] == [0, 10, 20, 30, 40, 50]
    assert [t for t, n in calls if n == "slow"] == [0, 25, 50]


def test_a_failing_job_does_not_stop_the_others(caplog):
    entries = entries_from_schedule(
        {"broken": {"task": "b", "schedule": 1}, "fine": {"task": "f", "schedule": 1}}
    )
    seen = []

    def call(entry):
        seen.append(entry.name)
        if entry.name == "broken":
            raise RuntimeError("boom")

    assert run_due(entries, call, now=0.0, wall=WALL) == ["broken", "fine"]
    assert seen == ["broken", "fine"]
    assert "periodic job broken" in caplog.text
    # Its turn comes again at its interval, like any other job.
    assert run_due(entries, call, now=1.0, wall=WALL) == ["broken", "fine"]


@pytest.mark.django_db
def test_command_once_runs_every_entry_of_the_settings_schedule(settings):
    CALLS.clear()
    settings.CELERY_BEAT_SCHEDULE = {
        "probe": {"task": "tests.periodic_probe", "schedule": 30, "kwargs": {"label": "hi"}},
        "broken": {"task": "tests.periodic_broken", "schedule": 60},
    }
    out = StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert CALLS == [("probe", "hi"), ("broken",)]
    assert "Ran once: probe, broken" in out.getvalue()


@pytest.mark.django_db
def test_command_runs_the_projects_real_schedule_once():
    """Every entry the apps registered names a task this process knows, and runs inline."""
    out = StringIO()
    call_command("run_periodic", "--once", "--only", "send-scheduled-campaigns", stdout=out)
    assert "Ran once: send-scheduled-campaigns" in out.getvalue()
    call_command("run_periodic", "--once", stdout=StringIO())


def test_command_refuses_unknown_tasks_and_entries(settings):
    settings.CELERY_BEAT_SCHEDULE = {"x": {"task": "tests.no_such_task", "schedule": 5}}
    with pytest.raises(CommandError, match=r"tests\.no_such_task"):
        call_command("run_periodic", "--once", stdout=StringIO())
    settings.CELERY_BEAT_SCHEDULE = {"p": {"task": "tests.periodic_probe", "schedule": 5}}
    with pytest.raises(CommandError, match="nope"):
        call_command("run_periodic", "--once", "--only", "nope", stdout=StringIO())


def test_the_jobs_run_in_a_thread_of_this_process_until_stopped():
    import threading

    entries = entries_from_schedule({"fast": {"task": "f", "schedule": 0.01}})
    ran = threading.Event()
    calls = []

    def call(entry):
        calls.append(threading.current_thread().name)
        ran.set()

    stop = start_in_thread(entries, call, tick=0.01)
    assert ran.wait(5)
    stop.set()
    assert calls[0] == "periodic-jobs"


def test_run_dev_serves_with_the_jobs_in_its_own_process(monkeypatch):
    """`make run`: one process, so the Desk timers' live events reach its sockets (issue 10)."""
    from daphne.management.commands.runserver import Command as Daphne

    from blipportal.management.commands import run_dev

    started, served = [], []
    monkeypatch.setattr(run_dev, "start_in_thread", lambda entries: started.append(entries))
    monkeypatch.setattr(Daphne, "inner_run", lambda self, *a, **o: served.append(o))
    command = run_dev.Command(stdout=StringIO())
    command.inner_run(periodic=True, use_asgi=True)
    assert {e.name for e in started[0]} >= {"send-scheduled-campaigns", "desk-timers"}
    assert served and "Periodic jobs in this process" in command.stdout.getvalue()
    started.clear()
    command.inner_run(periodic=False, use_asgi=True)
    assert started == []
