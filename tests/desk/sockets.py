"""Open Desk sockets in tests through the project's real ASGI application (auth, origin check)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from blipportal.asgi import application


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def attendant_path(attendant) -> str:
    return f"/ws/desk/{attendant.bot.top_level.slug}/attendant/{attendant.pk}/"


def supervisor_path(bot) -> str:
    return f"/ws/desk/{bot.slug}/supervisor/"


@asynccontextmanager
async def desk_socket(path: str, cookie: bytes | None):
    """A connected socket; the caller checks whether it was welcomed or closed."""
    headers = [(b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _subprotocol = await communicator.connect(timeout=3)
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def events_until_quiet(communicator, *, quiet: float = 0.2) -> list[dict]:
    """Every event the socket received until nothing more arrives for ``quiet`` seconds."""
    received = []
    while not await communicator.receive_nothing(timeout=quiet):
        received.append(await communicator.receive_json_from())
    return received


def run_async(scenario) -> None:
    """Run an async test scenario from a sync test; its ORM calls go through sync_to_async.

    Browser tests earlier in the same process leave Playwright's event loop running in the main
    thread, where async_to_sync refuses to start: the scenario then runs in a thread of its own
    (whose database connection is closed at the end).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(scenario)()
        return

    def in_thread() -> None:
        try:
            async_to_sync(scenario)()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(in_thread).result()
