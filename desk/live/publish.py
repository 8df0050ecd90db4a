"""Hand events to the channel layer once the transaction that caused them has committed."""

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# What a consumer's handler is called for every delivered event (DeskConsumer.desk_event).
HANDLER = "desk.event"

Delivery = list[tuple[str, dict]]  # (group, event) pairs


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


async def _send_all(layer, delivery: Delivery) -> None:
    for group, event in delivery:
        await layer.group_send(group, {"type": HANDLER, "event": event})
