"""The local backend: the channel log is the outbox, so a send only has to succeed."""

from __future__ import annotations

from bots.gateway.events import delivery_event_apply
from bots.models import Message


class OutboxGateway:
    name = "outbox"

    def __init__(self, **options) -> None:
        """Options of other backends (``defer_identities``) mean nothing here."""

    def take_resolved_identities(self) -> list[tuple]:
        return []  # no identity lookups: the outbox addresses contacts by phone

    def send_template(self, *, bot, contact, message_id, template_name, language, components):
        return f"outbox:{message_id}"

    def send_text(self, *, bot, contact, message_id, text):
        return f"outbox:{message_id}"

    def set_context(self, *, bot, contact, target_bot, block) -> None:
        # The product keeps the contact's state itself (bots.ContactState); nothing to tell Blip.
        return None


def outbox_simulate_event(*, message: Message, event: str, reason: str = "") -> None:
    """Pretend the contact's phone reported ``event`` for an outbound message.

    ``event``: ``delivered`` / ``read`` / ``failed`` (or the LIME names ``received`` /
    ``consumed``). The message and, for a campaign message, its recipient move forward exactly
    as with Blip's notifications; ValueError for an unknown event.
    """
    if message.direction != Message.Direction.OUTBOUND or not message.gateway_message_id:
        raise ValueError("only an outbound message sent through a gateway has delivery events")
    delivery_event_apply(
        bot=message.bot, message_id=message.gateway_message_id, event=event, reason=reason
    )
