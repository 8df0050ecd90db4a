"""Feed one contact message through the inbound pipeline, as the webhook would."""

from django.core.management.base import BaseCommand, CommandError

from bots.models import Bot
from bots.phones import normalize_phone
from desk.inbound import inbound_receive


class Command(BaseCommand):
    help = "Receive TEXT from PHONE on BOT (a top-level bot's slug) and print where it went."

    def add_arguments(self, parser):
        parser.add_argument("bot", help="slug of a stand-alone bot or a router")
        parser.add_argument("phone", help="the contact's phone, e.g. +5511999998888")
        parser.add_argument("text", help="what the contact wrote")

    def handle(self, *args, bot, phone, text, **options):
        top = Bot.objects.filter(slug=bot, router__isnull=True).first()
        if top is None:
            raise CommandError(f"No stand-alone bot or router with the slug {bot!r}.")
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        result = inbound_receive(bot=top, phone=phone, text=text)
        decision = result.decision
        ticket = f" ticket={result.ticket_id}" if result.ticket_id else ""
        self.stdout.write(f"{decision.target} ({decision.reason_code}){ticket}: {decision.reason}")
