"""Per-key rate limit: a token bucket per API key, 429 with Retry-After when it is empty.

The bucket holds one minute of the key's budget and refills continuously. With Redis (a Celery
broker on Redis, or API_RATE_LIMIT_REDIS_URL) every web process shares it, so the limit holds
however many gunicorn workers serve the API; without Redis (``make run``) each process keeps
its own. Unlike the sending limiter (campaigns/sending/ratelimit.py), which reserves a token
and sleeps, a request is never made to wait: it is refused and told when to come back.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey

# Returns 0 when a token was taken, else the seconds until one exists (nothing taken).
_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return tostring(wait)
"""


class LocalBucket:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, capacity: float, rate: float) -> float:
        """Take a token: 0.0, or the seconds until one exists (nothing taken)."""
        with self._lock:
            now = self._clock()
            tokens, ts = self._state.get(key, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - ts) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._state[key] = (tokens, now)
        return wait


class RedisBucket:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._script = self._redis.register_script(_LUA)

    def take(self, key: str, capacity: float, rate: float) -> float:
        return float(self._script(keys=[f"blipportal:api:rate:{key}"], args=[capacity, rate]))


@functools.cache
def _bucket(url: str) -> LocalBucket | RedisBucket:
    return RedisBucket(url) if url else LocalBucket()


def get_bucket() -> LocalBucket | RedisBucket:
    url = getattr(settings, "API_RATE_LIMIT_REDIS_URL", "")
    if not url and not settings.CELERY_TASK_ALWAYS_EAGER:
        url = settings.CELERY_BROKER_URL
    return _bucket(url if url.startswith(("redis://", "rediss://")) else "")


def key_take(*, key: ApiKey, bucket=None) -> float:
    """Spend one request of ``key``'s budget: 0.0, or the seconds to wait before the next."""
    per_minute = float(key.requests_per_minute)
    return (bucket or get_bucket()).take(key.prefix, per_minute, per_minute / 60.0)


class ApiKeyThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True  # refused anyway by the permission check
        self._wait = key_take(key=request.auth)
        return self._wait == 0

    def wait(self) -> float:
        return self._wait
