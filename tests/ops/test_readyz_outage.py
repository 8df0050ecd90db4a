"""/readyz of a real gunicorn flips to 503 while its database is cut off, and back to 200.

The app reaches PostgreSQL through a TCP proxy the test owns (tests/tcpproxy.py); the machine's
server is never stopped.
"""

import os
import signal
import subprocess
import time

import httpx
import pytest
from django.db import connection

from tests.campaigns.factories import SchedulerHeartbeatFactory
from tests.chaos_processes import BIN, ROOT, free_port, wait_port
from tests.services import require_postgres
from tests.tcpproxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def proxy():
    require_postgres()
    db = connection.settings_dict
    with TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy:
        yield proxy


@pytest.fixture
def web(proxy, tmp_path):
    db = connection.settings_dict
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="blipportal.settings",
        DJANGO_SECRET_KEY="readyz-test-key-" + "x" * 40,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        CELERY_BROKER_URL="",
    )
    log = (tmp_path / "web.log").open("w")
    command = [str(BIN / "gunicorn"), "blipportal.wsgi", "-w", "1", "--threads", "2"]
    command += ["-b", f"127.0.0.1:{port}"]
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def readyz(base: str) -> httpx.Response:
    return httpx.get(f"{base}/readyz", timeout=10)


def test_readyz_flips_to_503_while_the_database_is_unreachable(web, proxy):
    SchedulerHeartbeatFactory()
    first = readyz(web)
    assert first.status_code == 200, first.text
    proxy.cut()
    down = readyz(web)
    assert down.status_code == 503
    assert down.json()["checks"]["database"]["ok"] is False
    assert down.json()["checks"]["database"]["ms"] < 5000  # refused at once, no hanging probe
    proxy.restore()
    deadline = time.monotonic() + 10
    while (back := readyz(web)).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert back.status_code == 200, back.text
