"""Messages per second per bot, shared by every worker.

With a broker (Celery not eager) the budget lives in Redis, so all worker processes on all hosts
draw from the same bucket; in eager mode one process sends everything and a local bucket does.
Both reserve a token and return how long the caller must wait for it, so nobody busy-loops.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger(__name__)

# Token bucket holding one second of budget; the reservation may drive it negative, and the
# caller sleeps until its token exists. Redis' own clock keeps hosts with skewed clocks fair.
_LUA = """
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or rate
local ts = tonumber(state[2]) or now
tokens = math.min(rate, tokens + (now - ts) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


class InProcessLimiter:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, rate: float) -> float:
        """Take one token; seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            tokens, ts = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + (now - ts) * rate) - 1
            self._buckets[key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / rate

    def acquire(self, key: str, rate: float | None) -> float:
        if not rate:
            return 0.0
        wait = self.reserve(key, float(rate))
        if wait > 0:
            self._sleep(wait)
        return wait


class RedisLimiter(InProcessLimiter):
    """The shared bucket in Redis; while Redis is unreachable, this process' own bucket.

    A send is claimed before its token is taken: raising here would leave the recipient claimed
    and never sent, settled later as "unknown outcome" though nothing left (the chaos run showed
    it when Redis restarted). Falling back to the local bucket keeps each process under the rate
    meanwhile; together they may exceed it for the outage, which the gateway's 429 handling
    absorbs.
    """

    def __init__(self, url: str, sleep: Callable[[float], None] = time.sleep) -> None:
        import redis

        super().__init__(sleep=sleep)
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._script = self._redis.register_script(_LUA)
        self._unreachable = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    def reserve(self, key: str, rate: float) -> float:
        try:
            return float(self._script(keys=[f"blipportal:rate:{key}"], args=[rate]))
        except self._unreachable as exc:
            logger.warning("rate limit: Redis unreachable (%s), using this process' bucket", exc)
            return super().reserve(key, rate)


@functools.cache
def _limiter(kind: str, url: str) -> InProcessLimiter:
    return RedisLimiter(url) if kind == "redis" else InProcessLimiter()


def get_limiter() -> InProcessLimiter:
    url = getattr(settings, "RATE_LIMIT_REDIS_URL", "") or settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url.startswith(("redis://", "rediss://")):
        return _limiter("local", "")
    return _limiter("redis", url)
