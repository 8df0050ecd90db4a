"""`make run`'s server: daphne's runserver with every periodic job in a thread of its process."""

from daphne.management.commands.runserver import Command as RunserverCommand
from django.conf import settings
from django.core.management.base import CommandError

from blipportal.periodic import registered_entries, start_in_thread


class Command(RunserverCommand):
    help = (
        "Serve the pages and the Desk's WebSockets (daphne's runserver) and run the periodic jobs "
        "(settings.CELERY_BEAT_SCHEDULE: the scheduler, the Desk timers, …) in a thread of the "
        "same process, so their live events reach the open Desks through the in-memory channel "
        "layer. For `make run`; production runs Celery beat and a Redis channel layer."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="serve only, without the periodic jobs",
        )

    def inner_run(self, *args, **options):
        # inner_run runs once in the process that serves (the autoreloader's child), so the jobs
        # start there, once, and restart with it when the code changes.
        if options.get("periodic", True):
            try:
                entries = registered_entries(settings.CELERY_BEAT_SCHEDULE)
            except (LookupError, ValueError) as exc:
                raise CommandError(str(exc)) from None
            start_in_thread(entries)
            names = ", ".join(entry.name for entry in entries)
            self.stdout.write(f"Periodic jobs in this process: {names}")
        return super().inner_run(*args, **options)
