"""The ``blip`` backend: Blip's HTTP API through ``BlipClient``, one pooled client per key."""

from __future__ import annotations

import threading

from django.conf import settings

from bots.gateway.blip import BlipClient, PermanentGatewayError
from bots.identities import contact_record_identity


class BlipGateway:
    name = "blip"

    # Clients keep connections alive, so they are shared by every gateway of the process.
    _clients: dict[tuple[str, str, float], BlipClient] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        *,
        defer_identities: bool = False,
    ) -> None:
        """``defer_identities``: keep the identities looked up instead of writing each to its
        contact, for the caller to store in bulk (``take_resolved_identities``). The sending
        engine asks for it: its sends run on threads that must not touch the database."""
        self.base_url = base_url or settings.BLIP_API_URL
        self.timeout = timeout or getattr(settings, "BLIP_TIMEOUT_SECONDS", 10.0)
        self._resolved: dict[int, tuple] | None = {} if defer_identities else None
        self._by_bot: dict[int, BlipClient] = {}  # bot id → its pooled client, for this gateway
        self._looked_up: dict[int, str] = {}  # contact id → the identity this gateway looked up

    @classmethod
    def reset_caches(cls) -> None:
        """Forget pooled clients (tests switch fake servers)."""
        with cls._lock:
            for client in cls._clients.values():
                client.close()
            cls._clients.clear()

    def client(self, bot) -> BlipClient:
        # A sub-bot has no channel of its own: the router's key speaks for it.
        client = self._by_bot.get(bot.pk)  # this gateway's own memo: no lock on every send
        if client is not None:
            return client
        owner = bot.top_level
        key = owner.blip_api_key or bot.blip_api_key
        if not key:
            raise PermanentGatewayError(f"the bot {owner.slug} has no Blip API key")
        cache_key = (self.base_url, key, self.timeout)
        with self._lock:
            client = self._clients.get(cache_key)
            if client is None:
                client = BlipClient(self.base_url, key, timeout=self.timeout)
                self._clients[cache_key] = client
        self._by_bot[bot.pk] = client
        return client

    def identity(self, *, bot, contact) -> str:
        """The contact's WhatsApp node: the one on record, else looked up and kept (R18).

        A lookup is a command round trip; its answer is stored on the contact (at once, or with
        the sending engine's chunk: ``defer_identities``), so the contact's next send and a
        reply from that identity find it there. This gateway remembers it meanwhile: a send sets
        the context, then sends, and both need it. No cache outlives the gateway: the contacts
        are the cache, and a process-wide one grew with every contact a worker ever sent to (a
        sending worker walked and kept up to 200,000 of them for nothing).
        """
        if contact.whatsapp_identity:
            return contact.whatsapp_identity
        identity = self._looked_up.get(contact.pk)
        if identity is None:
            identity = self.client(bot).resolve_identity(contact.phone)
            self._looked_up[contact.pk] = identity
            self._keep(contact, identity)
        return identity

    def _keep(self, contact, identity: str) -> None:
        if self._resolved is None:
            contact_record_identity(contact=contact, identity=identity)
            return
        with self._lock:
            self._resolved[contact.pk] = (contact, identity)

    def take_resolved_identities(self) -> list[tuple]:
        """The (contact, identity) pairs looked up since the last call, when deferred."""
        if self._resolved is None:
            return []
        with self._lock:
            pairs, self._resolved = list(self._resolved.values()), {}
        return pairs

    def send_template(self, *, bot, contact, message_id, template_name, language, components):
        self.client(bot).send_template(
            message_id=message_id,
            to=self.identity(bot=bot, contact=contact),
            template_name=template_name,
            language=language,
            components=components,
        )
        return message_id

    def send_text(self, *, bot, contact, message_id, text):
        to = self.identity(bot=bot, contact=contact)
        self.client(bot).send_text(message_id=message_id, to=to, text=text)
        return message_id

    def set_context(self, *, bot, contact, target_bot, block) -> None:
        """Master-State to the sub-bot under a router, then the flow's state to the block."""
        identity = self.identity(bot=bot, contact=contact)
        client = self.client(bot)
        if target_bot.is_sub_bot:
            if not target_bot.blip_address:
                raise PermanentGatewayError(f"the sub-bot {target_bot.slug} has no Blip address")
            client.set_master_state(identity=identity, sub_bot_address=target_bot.blip_address)
        if block is None:
            return
        if not target_bot.blip_flow_id:
            raise PermanentGatewayError(f"the bot {target_bot.slug} has no Blip flow id")
        client.set_state(
            identity=identity, flow_id=target_bot.blip_flow_id, block_id=block.block_id
        )
