"""Feed one contact message through the inbound pipeline, as the webhook would."""

from django.core.management.base import BaseCommand, CommandError

from bots.lime import node_identity, node_to_phone
from bots.models import Bot
from bots.phones import normalize_phone
from desk.inbound import inbound_receive
from desk.selectors import ticket_attendant_email


class Command(BaseCommand):
    help = (
        "Receive TEXT from PHONE on BOT (a top-level bot's slug), print the contact it matched "
        "and where the message went."
    )

    def add_arguments(self, parser):
        parser.add_argument("bot", help="slug of a stand-alone bot or a router")
        parser.add_argument(
            "phone",
            help="the contact's phone (+5511999998888) or WhatsApp identity "
            "(5511999998888@wa.gw.msging.net)",
        )
        parser.add_argument("text", help="what the contact wrote")

    def handle(self, *args, bot, phone, text, **options):
        top = Bot.objects.filter(slug=bot, router__isnull=True).first()
        if top is None:
            raise CommandError(f"No stand-alone bot or router with the slug {bot!r}.")
        phone, identity = _sender(phone)
        result = inbound_receive(bot=top, phone=phone, identity=identity, text=text)
        contact = result.contact
        name = f" ({contact.name})" if contact.name else ""
        self.stdout.write(
            f"contact {contact.pk} {contact.phone}{name}: matched by {result.matched_by}"
        )
        decision = result.decision
        ticket = f" ticket={result.ticket_id}" if result.ticket_id else ""
        self.stdout.write(f"{decision.target} ({decision.reason_code}){ticket}: {decision.reason}")
        # R21: a new ticket went at once (on commit, above) to an Online attendant with a free slot.
        if result.opened and (email := ticket_attendant_email(ticket_id=result.ticket_id)):
            self.stdout.write(f"assigned to {email}")


def _sender(raw: str) -> tuple[str, str]:
    """(E.164 phone, identity) of what was typed: a phone in any notation or a WhatsApp node."""
    raw = raw.strip()
    try:
        if "@" in raw:
            return node_to_phone(raw), node_identity(raw)
        return normalize_phone(raw), ""
    except ValueError as exc:
        raise CommandError(f"{raw!r} is neither a phone nor a WhatsApp identity: {exc}") from None
