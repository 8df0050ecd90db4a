"""The processes of a chaos run (tests/chaos.py): Redis of its own, gunicorn, Celery workers and
beat, and Blip's side of the inbound webhook (posting each envelope until it gets a 2xx)."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.chaos import ChaosConfig

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PORTS = range(8600, 8700)  # the range this project's servers may bind
WA = "@wa.gw.msging.net"


def port_is_free(port: int) -> bool:
    """Nobody listens there (a connect fails) and we may bind it."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    for port in PORTS:
        if port_is_free(port):
            return port
    raise RuntimeError("no free port in 8600-8699")


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class Redis:
    """A redis-server of the harness' own, on its own port; never the machine's shared one."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self._log = log_dir / "redis.log"
        self._process: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self._log.parent)]
        with self._log.open("a") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        wait_port(self.port)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1


class Processes:
    """gunicorn, the Celery workers and beat, each in its own session so a kill takes it whole."""

    def __init__(self, config: ChaosConfig, env: dict[str, str], log_dir: Path) -> None:
        self.config, self.env, self.log_dir = config, env, log_dir
        self.web_port = free_port()
        self.workers: list[subprocess.Popen | None] = [None] * config.workers
        self.others: list[subprocess.Popen] = []
        self.kills = 0
        # Workers found dead when nobody killed them: a broker or database fault must never make a
        # worker exit on its own (celery 5.7.0 did, on a Redis restart).
        self.died_alone: list[str] = []

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("a")
        return subprocess.Popen(  # noqa: S603 - our own fixed command lines
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        web = [str(BIN / "gunicorn"), "blipportal.wsgi", "-w", "2", "-k", "gthread"]
        web += ["--threads", "4", "-b", f"127.0.0.1:{self.web_port}", "--timeout", "60"]
        self.others.append(self._spawn("web", web))
        beat = [str(BIN / "celery"), "-A", "blipportal", "beat", "-l", "WARNING"]
        beat += ["-s", str(self.log_dir / "beat-schedule")]
        self.others.append(self._spawn("beat", beat))
        for index in range(len(self.workers)):
            self.start_worker(index)
        wait_port(self.web_port, timeout=60)

    def start_worker(self, index: int) -> None:
        command = [str(BIN / "celery"), "-A", "blipportal", "worker", "-P", "threads"]
        command += ["-c", str(self.config.concurrency), "-n", f"chaos{index}@%h"]
        command += ["--without-gossip", "--without-mingle", "-l", "WARNING"]
        self.workers[index] = self._spawn(f"worker{index}", command)

    def kill_and_restart(self, index: int) -> None:
        process = self.workers[index]
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            self.kills += 1
        else:
            self.note_dead_workers()
        self.start_worker(index)

    def note_dead_workers(self) -> None:
        """Record each worker that exited although nobody killed it (see its log in log_dir)."""
        for index, process in enumerate(self.workers):
            if process is not None and process.poll() is not None:
                note = f"worker{index} exited with code {process.returncode}"
                if note not in self.died_alone:
                    self.died_alone.append(note)

    def stop(self) -> None:
        for process in [p for p in self.workers if p is not None] + self.others:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [p for p in self.workers if p is not None] + self.others:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


class Inbound:
    """Blip's side of the inbound webhook: post each envelope until it gets a 2xx."""

    def __init__(self, url: str, secret: str, count: int) -> None:
        self.url, self.count = url, count
        self.headers = {"Authorization": f"Key {secret}"}
        self.pending = {f"chaos-in-{i}" for i in range(count)}
        self.answers: list[tuple[float, str, int]] = []  # (time, envelope id, status)
        self.acknowledged: set[str] = set()
        self._lock = threading.Lock()

    def envelope(self, envelope_id: str) -> dict:
        number = int(envelope_id.rsplit("-", 1)[1])
        return {
            "id": envelope_id,
            "from": f"55219{number:08d}{WA}",
            "to": "bot@msging.net",
            "type": "text/plain",
            "content": f"Oi, mensagem {number}",
        }

    def deliver_round(self, client: httpx.Client) -> None:
        with self._lock:
            todo = sorted(self.pending)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for envelope_id, status in pool.map(lambda e: self._post(client, e), todo):
                with self._lock:
                    self.answers.append((time.monotonic(), envelope_id, status))
                    if 200 <= status < 300:
                        self.pending.discard(envelope_id)
                        self.acknowledged.add(envelope_id)

    def _post(self, client: httpx.Client, envelope_id: str) -> tuple[str, int]:
        try:
            response = client.post(self.url, json=self.envelope(envelope_id), headers=self.headers)
        except httpx.HTTPError:
            return envelope_id, 0  # no answer at all: Blip retries that too
        return envelope_id, response.status_code


def app_env(config: ChaosConfig, *, database_url: str, broker: str, blip: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="blipportal.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="chaos-run-secret-key-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker,
        WHATSAPP_GATEWAY="blip",
        BLIP_API_URL=blip,
        SCHEDULER_INTERVAL_SECONDS=str(config.scheduler_interval),
        SENDING_CLAIM_TIMEOUT_SECONDS=str(config.claim_timeout),
        SENDING_RESUME_AFTER_SECONDS=str(config.resume_after),
    )
    return env
