"""Run every entry of CELERY_BEAT_SCHEDULE inline at its interval (beat for `make run`)."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from blipportal.periodic import call_task, registered_entries, run_due, run_loop


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of every app (settings.CELERY_BEAT_SCHEDULE) in this process, "
        "each at its interval: the scheduler, the Desk timers, the roll-ups. For `make run`, "
        "where Celery runs eagerly and there is no beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument(
            "--only", action="append", default=[], metavar="NAME", help="run only this entry"
        )
        parser.add_argument(
            "--tick", type=float, default=1.0, help="seconds between checks (default 1)"
        )

    def handle(self, *args, once, only, tick, **options):
        try:
            entries = registered_entries(settings.CELERY_BEAT_SCHEDULE)
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if only:
            missing = sorted(set(only) - {e.name for e in entries})
            if missing:
                raise CommandError(f"No such entry in CELERY_BEAT_SCHEDULE: {', '.join(missing)}")
            entries = [e for e in entries if e.name in only]
        names = ", ".join(
            f"{e.name} (every {e.every:g}s)" if e.every is not None else f"{e.name} ({e.schedule})"
            for e in entries
        )
        self.stdout.write(f"Periodic jobs: {names}")
        if once:
            ran = run_due(entries, call_task, now=0.0, wall=dt.datetime.now(dt.UTC))
            self.stdout.write(f"Ran once: {', '.join(ran)}")
            return
        try:
            run_loop(entries, call_task, tick=tick)
        except KeyboardInterrupt:
            self.stdout.write("Periodic jobs stopped.")
