"""The Desk's WebSocket consumers: they only relay events; every decision is made elsewhere.

A socket that may not listen is accepted and closed at once with ``FORBIDDEN``, so the page
knows not to retry (a refused handshake looks like a network failure to a browser).
"""

import asyncio
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from desk.live import access, publish
from desk.live.events import Event
from desk.presence import attendant_seen

FORBIDDEN = 4403
# A socket's pings count as the Desk's heartbeat (auto-Offline, R21) at most this often, so a
# client that pings in a loop cannot turn into a stream of UPDATEs.
HEARTBEAT_EVERY = 15.0


class DeskConsumer(AsyncJsonWebsocketConsumer):
    """Base: join the allowed groups, relay ``desk.event`` messages, answer pings."""

    joined: list[str]

    def allowed_groups(self) -> list[str] | None:
        raise NotImplementedError

    async def connect(self) -> None:
        self.joined = []
        allowed = await database_sync_to_async(self.allowed_groups)()
        await self.accept()
        if not allowed:
            await self.close(code=FORBIDDEN)
            return
        publish.sockets_served_by(asyncio.get_running_loop())
        for group in allowed:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = allowed
        await self.send_json({"type": "hello"})
        await self.seen()

    async def disconnect(self, code) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            if self.joined:
                await self.seen()

    async def seen(self) -> None:
        """The page behind this socket is open (only an attendant's socket says so)."""

    async def desk_event(self, message: dict) -> None:
        event = message["event"]
        await self.send_json(event)
        if event.get("type") == Event.SESSION_ENDED:
            await self.close(code=FORBIDDEN)


class AttendantConsumer(DeskConsumer):
    """One attendant profile's Desk: their tickets, their queues, their status.

    While the socket is up its pings are the Desk page's heartbeat, so an attendant whose page
    keeps only the socket open is not set Offline (the page stops its own beat meanwhile).
    """

    last_beat = float("-inf")

    async def seen(self) -> None:
        if time.monotonic() - self.last_beat < HEARTBEAT_EVERY:
            return
        self.last_beat = time.monotonic()
        attendant_id = self.scope["url_route"]["kwargs"]["attendant_id"]
        await database_sync_to_async(attendant_seen)(attendant_id=attendant_id)

    def allowed_groups(self) -> list[str] | None:
        kwargs = self.scope["url_route"]["kwargs"]
        return access.attendant_groups(
            user=self.scope.get("user"),
            bot_slug=kwargs["bot_slug"],
            attendant_id=kwargs["attendant_id"],
        )


class SupervisorConsumer(DeskConsumer):
    """A bot's supervision board."""

    def allowed_groups(self) -> list[str] | None:
        kwargs = self.scope["url_route"]["kwargs"]
        return access.supervisor_groups(user=self.scope.get("user"), bot_slug=kwargs["bot_slug"])
