"""The per-bot rate limit: a token bucket, in process (eager) or in Redis (workers)."""

import uuid

import pytest

from campaigns.sending import ratelimit
from tests.services import redis_url


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_in_process_bucket_allows_one_second_of_burst_then_spaces_sends():
    clock = Clock()
    limiter = ratelimit.InProcessLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(10):
        limiter.acquire("bot-1", 10)
    assert clock.slept == []
    limiter.acquire("bot-1", 10)
    limiter.acquire("bot-1", 10)
    assert clock.slept == pytest.approx([0.1, 0.1])
    # 22 sends at 10/s cannot take less than 1.2 s of waiting after the burst.
    for _ in range(10):
        limiter.acquire("bot-1", 10)
    assert sum(clock.slept) == pytest.approx(1.2)


def test_buckets_are_per_bot_and_zero_means_unlimited():
    clock = Clock()
    limiter = ratelimit.InProcessLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire("bot-1", 5)
        limiter.acquire("bot-2", 5)
        limiter.acquire("bot-3", 0)
    assert clock.slept == []


def test_eager_celery_uses_the_in_process_limiter(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert type(ratelimit.get_limiter()) is ratelimit.InProcessLimiter


@pytest.mark.services
def test_redis_bucket_is_shared_by_every_limiter_on_the_same_key(settings):
    url = redis_url()
    key = f"test-{uuid.uuid4()}"
    first, second = ratelimit.RedisLimiter(url), ratelimit.RedisLimiter(url)
    waits = [limiter.reserve(key, 4) for limiter in (first, second) * 3]
    # Four tokens in the bucket, shared: the fifth and sixth reservations must wait.
    assert waits[:4] == [0.0] * 4
    assert all(wait > 0 for wait in waits[4:])
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    assert type(ratelimit.get_limiter()) is ratelimit.RedisLimiter


def test_an_unreachable_redis_falls_back_to_the_process_bucket_instead_of_failing():
    """Chaos finding: a Redis restart raised in the middle of a claimed send, leaving the
    recipient claimed and never sent. Nothing listens on port 1: the local bucket answers."""
    clock = Clock()
    limiter = ratelimit.RedisLimiter("redis://127.0.0.1:1/0", sleep=clock.sleep)
    limiter._clock = clock
    waits = [limiter.acquire("bot-1", 2) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(0.5)  # still spaced at 2/s, by this process
