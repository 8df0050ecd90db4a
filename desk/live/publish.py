"""Hand events to the channel layer once the transaction that caused them has committed.

With the in-memory layer (``make run``) the sockets' queues belong to the event loop that serves
them, and asyncio queues are not thread-safe: an event sent from a thread of its own (the
periodic jobs' thread of ``run_dev``) is handed to that loop instead of a private one, so it
reaches the attendant at once rather than whenever the loop next wakes up.
"""

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# What a consumer's handler is called for every delivered event (DeskConsumer.desk_event).
HANDLER = "desk.event"

Delivery = list[tuple[str, dict]]  # (group, event) pairs

SEND_TIMEOUT = 5.0  # seconds a thread waits for the serving loop to take its events
_serving_loop: asyncio.AbstractEventLoop | None = None


def sockets_served_by(loop: asyncio.AbstractEventLoop) -> None:
    """The loop the Desk's consumers run in (the latest one to accept a socket)."""
    global _serving_loop
    _serving_loop = loop


def after_commit(build: Callable[[], Delivery]) -> None:
    """Run ``build`` after commit (right away outside a transaction) and send what it returns.

    ``build`` reads the committed rows, so a rolled-back change never reaches a screen. A failure
    to build or to deliver is logged and swallowed: a socket that misses an event catches up at
    its next refresh, while the request that caused it must not fail for that.
    """
    transaction.on_commit(lambda: _deliver(build))


def _deliver(build: Callable[[], Delivery]) -> None:
    try:
        delivery = build()
        if delivery:
            send_now(delivery)
    except Exception:
        logger.exception("a Desk live event could not be delivered")


def send_now(delivery: Iterable[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _loop_to_hand_to(layer)
    if loop is not None:
        future = asyncio.run_coroutine_threadsafe(_send_all(layer, list(delivery)), loop)
        future.result(timeout=SEND_TIMEOUT)
        return
    send = async_to_sync(_send_all)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(layer, list(delivery))  # the usual case: sync code in a sync thread
        return
    # Sync code called from a thread that runs an event loop (a Django shell under IPython's
    # loop, Playwright's sync API in tests): async_to_sync refuses that thread, so use another.
    helper = threading.Thread(target=send, args=(layer, list(delivery)), name="desk-live-send")
    helper.start()
    helper.join()


def _loop_to_hand_to(layer) -> asyncio.AbstractEventLoop | None:
    """The serving loop, when the layer lives in memory and this thread is not that loop's."""
    loop = _serving_loop
    if not isinstance(layer, InMemoryChannelLayer) or loop is None:
        return None
    if loop.is_closed() or not loop.is_running():
        return None
    try:
        here = asyncio.get_running_loop()
    except RuntimeError:
        here = None
    return None if here is loop else loop


async def _send_all(layer, delivery: Delivery) -> None:
    for group, event in delivery:
        await layer.group_send(group, {"type": HANDLER, "event": event})
