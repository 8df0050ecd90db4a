"""The sending engine (fan-out, claims, retries, statuses). Filled in by the sending-engine work."""


def start_sending(*, campaign_id: int) -> None:
    raise NotImplementedError("The sending engine is not built yet (issue #4).")
