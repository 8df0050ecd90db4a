"""Dispatch every due scheduled campaign once; safe to run in several processes at once."""

import time

from django.core.management.base import BaseCommand

from campaigns.sending.scheduling import scheduler_tick


class Command(BaseCommand):
    help = "Dispatch due scheduled campaigns (R15 re-validation); --loop N repeats every N s."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", type=float, default=None, metavar="SECONDS")

    def handle(self, *args, loop=None, **options) -> None:
        while True:
            result = scheduler_tick(source="command")
            for pk in result["dispatched"]:
                self.stdout.write(f"dispatched campaign {pk}")
            for pk in result["finished"]:
                self.stdout.write(f"finished campaign {pk}")
            if result["stale_failed"]:
                self.stdout.write(f"unknown outcome: {result['stale_failed']} stale claims")
            if not loop:
                if not (result["dispatched"] or result["finished"] or result["stale_failed"]):
                    self.stdout.write("no campaign due")
                return
            time.sleep(loop)
