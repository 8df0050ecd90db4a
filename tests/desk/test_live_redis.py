"""The Desk's sockets over the Redis channel layer, as production runs them."""

import uuid

import pytest

from tests.desk.test_live import isolation_scenario
from tests.services import redis_url

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis_url(), "socket_timeout": 15}],
                "prefix": f"test-{uuid.uuid4().hex[:8]}",
            },
        }
    }


def test_bot_isolation_holds_over_redis(redis_layer):
    # The services publish from sync code (async_to_sync, a new loop each time), as a gunicorn
    # worker taking a webhook does, and the sockets listen on the test's loop.
    from channels.layers import get_channel_layer

    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
    isolation_scenario()
