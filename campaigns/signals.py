"""Signals the campaigns send to the apps above them (the API's webhooks), never imported down."""

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent inside the transaction that moved the recipients, with ``campaign_id``, ``recipient_ids``,
# ``status`` (the new one) and ``bot_id`` (the campaign's bot, None when the sender did not have
# it at hand). Receivers keep their writes in a savepoint of their own.
recipient_status_changed = Signal()


def recipients_status_changed(
    *, campaign_id: int, recipient_ids: list[int], status: str, bot_id: int | None = None
) -> None:
    """Tell the listeners; a failing listener is logged and never stops a send."""
    if not recipient_ids:
        return
    results = recipient_status_changed.send_robust(
        sender=None,
        campaign_id=campaign_id,
        recipient_ids=list(recipient_ids),
        status=status,
        bot_id=bot_id,
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error("recipient_status_changed receiver %s failed", receiver, exc_info=result)
