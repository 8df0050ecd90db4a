"""API keys: create (the clear key is returned once), revoke, and find the key of a request."""

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from api.models import ApiKey
from api.models.keys import KEY_PREFIX
from bots.models import Bot

# last_used_at is written at most this often per key: one UPDATE per request would be waste.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, bot: Bot, name: str, created_by=None, requests_per_minute: int = 120
) -> tuple[ApiKey, str]:
    """A new key of ``bot`` and its clear text, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    clear = f"{KEY_PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey(
        bot=bot,
        name=name,
        prefix=prefix,
        key_hash=_hash(clear),
        requests_per_minute=requests_per_minute,
        created_by=created_by,
    )
    key.full_clean()
    key.save()
    return key, clear


def api_key_revoke(*, key: ApiKey) -> bool:
    """Revoke ``key`` for good; False when it already was."""
    now = timezone.now()
    won = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now) == 1
    if won:
        key.revoked_at = now
    return won


def api_key_find(*, clear: str) -> ApiKey | None:
    """The key whose clear text is ``clear`` (revoked or not), or None."""
    head, dot, _secret = clear.partition(".")
    if not dot or not head.startswith(KEY_PREFIX):
        return None
    key = ApiKey.objects.select_related("bot").filter(prefix=head[len(KEY_PREFIX) :]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(clear)):
        return None
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Record that ``key`` was used now, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
