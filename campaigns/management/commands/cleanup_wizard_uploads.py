import datetime as dt

from django.core.management.base import BaseCommand

from campaigns.uploads import uploads_remove_abandoned


class Command(BaseCommand):
    help = "Delete audience files of wizards abandoned for more than HOURS (default 24)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24.0)

    def handle(self, *args, hours: float, **options):
        removed = uploads_remove_abandoned(older_than=dt.timedelta(hours=hours))
        self.stdout.write(f"removed {removed} abandoned upload(s)")
