"""The WhatsApp gateway: the only way the product sends anything to a contact.

One interface, two backends chosen by ``settings.WHATSAPP_GATEWAY``:

- ``outbox`` (default): nothing leaves the machine. The caller has already written the message to
  the channel log (``bots.Message``), which *is* the outbox the contact simulator reads.
- ``blip``: Blip's HTTP API through ``bots.gateway.blip.BlipClient``.

Every method raises ``GatewayError`` subclasses from ``bots.gateway.blip`` so callers can tell a
transient failure (retry), a permanent one (fail with the reason) and an unknown outcome (never
resend blindly) apart, whatever the backend.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from bots.gateway.blip import (
    GatewayError,
    PermanentGatewayError,
    TransientGatewayError,
    UnknownOutcomeError,
)

__all__ = [
    "Gateway",
    "GatewayError",
    "PermanentGatewayError",
    "TransientGatewayError",
    "UnknownOutcomeError",
    "get_gateway",
]

BACKENDS = {
    "outbox": "bots.gateway.outbox.OutboxGateway",
    "blip": "bots.gateway.blip_backend.BlipGateway",
}


class Gateway(Protocol):
    name: str

    def send_template(
        self,
        *,
        bot,
        contact,
        message_id: str,
        template_name: str,
        language: str,
        components: list[dict],
    ) -> str:
        """Send an approved template; return the gateway's message id."""

    def send_text(self, *, bot, contact, message_id: str, text: str) -> str:
        """Send free text inside the 24-hour window; return the gateway's message id."""

    def set_context(self, *, bot, contact, target_bot, block) -> None:
        """Make the contact's next message go to ``target_bot`` / ``block`` on the channel."""

    def take_resolved_identities(self) -> list[tuple]:
        """(contact, WhatsApp identity) pairs looked up and not stored yet (when deferred)."""


def get_gateway(name: str | None = None, **options) -> Gateway:
    """The configured backend; ``options`` go to its constructor (``defer_identities``)."""
    name = name or settings.WHATSAPP_GATEWAY
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"Unknown WHATSAPP_GATEWAY {name!r}: use one of {sorted(BACKENDS)}"
        ) from None
    return import_string(path)(**options)
