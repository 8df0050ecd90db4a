"""The sending engine: fan-out, per-recipient claims, retries and statuses (issue #4)."""

import logging

logger = logging.getLogger(__name__)


def start_sending(*, campaign_id: int) -> None:
    # Replaced by the fan-out of the sending engine; until then a handed-off campaign waits in
    # Sending with its recipients Pending, which is exactly the state the engine picks up.
    logger.warning("sending engine not installed: campaign %s waits in Sending", campaign_id)
