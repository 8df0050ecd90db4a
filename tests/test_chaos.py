"""The chaos run in small (bench/chaos.py runs it at 50,000): R17 and the inbound webhook's
contract hold while workers die, Redis restarts and the database disappears for a while."""

import os
import shutil

import pytest

from campaigns.models import Campaign
from tests.chaos import ChaosConfig, run
from tests.services import require_postgres, skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SMALL = ChaosConfig(
    recipients=2000,
    kill_every=10.0,
    redis_restart_at=3.0,
    db_outage_at=6.0,
    db_outage=10.0,
    inbound_burst=20,
    claim_timeout=20.0,
    resume_after=5.0,
    scheduler_interval=1.0,
    timeout=300.0,
)


def test_R17_a_campaign_survives_kills_a_redis_restart_and_a_database_outage(tmp_path):
    require_postgres()
    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        skip_or_fail("the chaos run starts a redis-server of its own: apt-get install redis-server")
    result = run(SMALL, tmp_path, say=lambda line: print(line, flush=True))
    print("\n".join(result.lines()))
    assert result.campaign_status in (Campaign.Status.SENT, Campaign.Status.SENT_WITH_FAILURES)
    assert result.sent_twice == 0
    assert result.lost == 0, result.lost_detail
    assert result.kills >= 1 and result.redis_restarts == 1
    # A Redis restart or a database outage is survived by the workers themselves; only the
    # harness's kills end one (the worker logs in tmp_path say why one exited).
    assert result.workers_died_alone == []
    assert result.gateway_faults.get("error") and result.gateway_faults.get("throttle")
    # Every inbound message that arrived during the outage was refused retryably, then
    # recorded exactly once after Blip's redelivery; none was acknowledged and dropped.
    assert set(result.inbound_during_outage) == {503}
    assert result.inbound_recorded == SMALL.inbound_burst
    assert result.inbound_acknowledged_lost == 0
    assert sum(result.failed.values()) + result.sent_once == SMALL.recipients
