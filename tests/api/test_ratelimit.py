"""Per-key rate limit: 429 with Retry-After, a bucket per key, shared through Redis."""

import math
import uuid

import pytest

from api.ratelimit import LocalBucket, RedisBucket, key_take
from tests.api.factories import ApiKeyFactory, client_for
from tests.services import redis_url

pytestmark = pytest.mark.django_db


def test_over_the_limit_is_a_429_with_retry_after():
    key = ApiKeyFactory(requests_per_minute=3)
    client = client_for(key)
    assert [client.get("/api/v1/templates").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/templates")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 20  # 3 a minute: one every 20 s
    other = ApiKeyFactory(requests_per_minute=3)  # another key has its own budget
    assert client_for(other).get("/api/v1/templates").status_code == 200


def test_posts_count_too(api):
    api.key.requests_per_minute = 1
    api.key.save()
    client = client_for(api.key)
    assert client.get("/api/v1/templates").status_code == 200
    response = client.post("/api/v1/messages", api.message(), format="json")
    assert response.status_code == 429


def test_local_bucket_refills_with_time():
    now = [100.0]
    bucket = LocalBucket(clock=lambda: now[0])
    assert [bucket.take("k", 2, 1.0) for _ in range(2)] == [0.0, 0.0]
    assert bucket.take("k", 2, 1.0) == pytest.approx(1.0)
    now[0] += 0.5
    assert bucket.take("k", 2, 1.0) == pytest.approx(0.5)  # a refusal takes nothing
    now[0] += 0.5
    assert bucket.take("k", 2, 1.0) == 0.0


@pytest.mark.services
def test_redis_bucket_is_shared_between_processes():
    url = redis_url()
    name = f"test-{uuid.uuid4().hex}"
    one, two = RedisBucket(url), RedisBucket(url)  # two web processes
    assert one.take(name, 2, 2 / 60) == 0
    assert two.take(name, 2, 2 / 60) == 0
    wait = one.take(name, 2, 2 / 60)
    assert 0 < wait <= 30 and math.isfinite(wait)


def test_key_take_uses_the_keys_budget():
    key = ApiKeyFactory(requests_per_minute=1)
    bucket = LocalBucket()
    assert key_take(key=key, bucket=bucket) == 0
    assert key_take(key=key, bucket=bucket) == pytest.approx(60, rel=0.05)
