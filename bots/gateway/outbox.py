"""The local backend: the channel log is the outbox, so a send only has to succeed."""

from __future__ import annotations


class OutboxGateway:
    name = "outbox"

    def send_template(self, *, bot, contact, message_id, template_name, language, components):
        return f"outbox:{message_id}"

    def send_text(self, *, bot, contact, message_id, text):
        return f"outbox:{message_id}"

    def set_context(self, *, bot, contact, target_bot, block) -> None:
        # The product keeps the contact's state itself (bots.ContactState); nothing to tell Blip.
        return None
