"""CI's smoke test of `make prod-local`: start the production process set, wait for /readyz 200,
send one campaign through the real beat and worker, read /metrics, stop everything cleanly.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blipportal_ci_prod \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/15 python scripts/prod_smoke.py

The database named in DATABASE_URL is dropped first (it belongs to this smoke test). The servers
bind free ports of 8600-8699. Exits non-zero, with the processes' output, when a step fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the child steps (create, status) import the project
PHONE = "+5511977771234"
TOKEN = "smoke-metrics-token"  # noqa: S105 - a throwaway stack's token
PGREP = shutil.which("pgrep") or "/usr/bin/pgrep"
MAKE = shutil.which("make") or "/usr/bin/make"


def free_ports(n: int) -> list[int]:
    ports = []
    for port in range(8600, 8700):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                continue  # someone listens there: a /readyz 200 would not be ours
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == n:
            return ports
    raise SystemExit("no free ports in 8600-8699")


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def purge_queue(url: str) -> None:
    """Tasks an earlier run left in this Redis db belong to another database: drop them."""
    from celery import Celery

    app = Celery("prod-smoke-purge", broker=url)
    app.control.purge()
    app.close()


def wait_ready(base: str, stack: subprocess.Popen, timeout: float = 180.0) -> dict:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            raise RuntimeError(f"make prod-local exited with {stack.returncode}")
        try:
            last = httpx.get(f"{base}/readyz", timeout=5)
            if last.status_code == 200:
                return last.json()
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"/readyz never answered 200: {last.text if last else 'no answer'}")


def create_campaign() -> None:
    """(In a child process with the stack's environment.) An individual campaign of the demo bot
    `loja`, due in 2 s: beat dispatches it, the worker sends it. Prints its id."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bots.models import Bot
    from campaigns.audience_store.members import AudienceMember
    from campaigns.dispatch import campaign_create
    from campaigns.models import MessageTemplate

    call_command("seed_demo", verbosity=0)
    bot = Bot.objects.get(slug="loja")
    templates = MessageTemplate.objects.filter(bot=bot, status="approved", header_type="none")
    template = next(t for t in templates if not t.variable_count)
    campaign = campaign_create(
        audience=[AudienceMember(phone=PHONE)],
        bot=bot,
        created_by=None,
        name="prod-local smoke",
        kind="individual",
        template=template,
        parameters={"body": []},
        routing="flow",
        routing_bot=bot,
        flow_block=bot.blocks.first(),
        scheduled_at=timezone.now() + dt.timedelta(seconds=2),
    )
    print(campaign.pk)


def show_status(campaign_id: str) -> None:
    import django

    django.setup()
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(pk=int(campaign_id))
    print(campaign.status, campaign.recipients.get().status)


def child(env: dict, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def main() -> int:
    web, asgi = free_ports(2)
    state = Path(tempfile.mkdtemp(prefix="prod-local-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=os.environ["DATABASE_URL"],
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        WEB_PORT=str(web),
        ASGI_PORT=str(asgi),
        STATE_DIR=str(state),
        METRICS_TOKEN=TOKEN,
        SCHEDULER_INTERVAL_SECONDS="2",
        DJANGO_SETTINGS_MODULE="blipportal.settings",
    )
    drop_database(env["DATABASE_URL"])
    purge_queue(env["CELERY_BROKER_URL"])
    log = (state / "stack.log").open("w")
    stack = subprocess.Popen(  # noqa: S603
        [MAKE, "prod-local"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{web}"
    try:
        checks = wait_ready(base, stack)
        if not (state / "secret-key").exists():
            raise RuntimeError(f"/readyz answered on :{web} before this stack started: not ours")
        print(f"/readyz 200: {sorted(checks['checks'])}", flush=True)
        step_env = {**env, "DJANGO_SECRET_KEY": (state / "secret-key").read_text().strip()}
        campaign = child(step_env, "create")
        deadline, status = time.monotonic() + 90, ""
        while time.monotonic() < deadline and status != "sent sent":
            time.sleep(1)
            status = child(step_env, "status", campaign)
        print(f"campaign {campaign}: {status}", flush=True)
        if status != "sent sent":
            raise RuntimeError(f"the campaign was not sent by beat and the worker: {status}")
        metrics = httpx.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        if 'blipportal_sends_total{outcome="sent"} 1.0' not in metrics.text:
            raise RuntimeError(f"/metrics does not count the worker's send:\n{metrics.text}")
        if 'blipportal_queue_depth{queue="celery"}' not in metrics.text:
            raise RuntimeError(f"/metrics does not read the broker's queue:\n{metrics.text}")
        print("/metrics counts the send made in the worker process and reads the queue")
    except Exception:
        _stop(stack)
        print((state / "stack.log").read_text()[-6000:], file=sys.stderr)
        raise
    code = _stop(stack)
    output = (state / "stack.log").read_text()
    stopped = {name for name in ("web", "asgi", "worker", "beat") if f"{name}.1 stopped" in output}
    print(f"stopped on SIGTERM: {sorted(stopped)} (make exited {code})", flush=True)
    if len(stopped) != 4:
        raise SystemExit(f"not every process stopped:\n{output[-4000:]}")
    leftovers = [
        pid
        for pattern in (f"127.0.0.1:{web}", f"--port {asgi}", str(state))
        for pid in subprocess.run(  # noqa: S603
            [PGREP, "-f", pattern], capture_output=True, text=True, check=False
        ).stdout.split()
    ]
    if leftovers:
        raise SystemExit(f"processes left running: {leftovers}")
    return 0


def _stop(stack: subprocess.Popen) -> int | None:
    """SIGTERM to honcho (make's child), as a process manager does: it stops every process of
    the Procfile and exits, and so does make."""
    if stack.poll() is None:
        children = subprocess.run(  # noqa: S603
            [PGREP, "-P", str(stack.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in children or [str(stack.pid)]:
            os.kill(int(pid), signal.SIGTERM)
        try:
            return stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait(timeout=10)
            raise SystemExit("make prod-local did not stop within 60 s of SIGTERM") from None
    return stack.returncode


if __name__ == "__main__":
    if sys.argv[1:2] == ["create"]:
        create_campaign()
    elif sys.argv[1:2] == ["status"]:
        show_status(sys.argv[2])
    else:
        sys.exit(main())
