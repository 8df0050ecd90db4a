"""API models, one module per capability; import them from here."""

from api.models.idempotency import IdempotencyRecord, IdempotencyStatus
from api.models.keys import ApiKey

__all__ = ["ApiKey", "IdempotencyRecord", "IdempotencyStatus"]
