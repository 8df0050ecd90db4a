"""Merge contacts that are one person under two forms of a Brazilian mobile (R18)."""

from django.core.management.base import BaseCommand, CommandError

from bots.merge import duplicates_merge
from bots.models import Bot


class Command(BaseCommand):
    help = (
        "Merge every contact stored with an eight-digit Brazilian mobile into its nine-digit "
        "twin (messages, tickets, directives, recipients move along) and give lone ones today's "
        "form. Safe to run again: a second run finds nothing to do."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bot", help="only the contacts of this top-level bot (slug)")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change, change nothing"
        )

    def handle(self, *args, bot=None, dry_run=False, **options):
        chosen = None
        if bot:
            chosen = Bot.objects.filter(slug=bot, router__isnull=True).first()
            if chosen is None:
                raise CommandError(f"No stand-alone bot or router with the slug {bot!r}.")
        report = duplicates_merge(bot=chosen, dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{report.merged} duplicate contact(s) {verb} merged; "
            f"{report.renamed} contact(s) {verb} given the nine-digit form."
        )
