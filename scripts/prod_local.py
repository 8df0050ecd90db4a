"""`make prod-local`: the README's production process set on this machine, from the Procfile.

gunicorn (pages, webhooks, /readyz, /metrics), daphne (the Desk's WebSockets), a Celery worker
and Celery beat, with DJANGO_DEBUG=0 against PostgreSQL and Redis. Every variable of README ›
Production may be set; these defaults fill the rest for a plain-http run on 127.0.0.1 (so the
TLS-only settings are off here, and only here). The database is created when missing, then
migrated; static files are collected; then honcho takes over (Ctrl-C or SIGTERM stops them all).
"""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("STATE_DIR", ROOT / ".prod-local"))

DEFAULTS = {
    "DJANGO_DEBUG": "0",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/blipportal",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    # Plain http on the loopback: no redirect to https, no secure-only cookies, no HSTS.
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_HSTS_SECONDS": "0",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "0",
}


def environment() -> dict[str, str]:
    env = {**DEFAULTS, **os.environ}
    env.setdefault("CHANNELS_REDIS_URL", env["CELERY_BROKER_URL"])
    # No proxy here to route /ws/ to daphne: the Desk pages open their sockets on its port.
    host = env.get("BIND_HOST", "127.0.0.1")
    env.setdefault("DESK_SOCKET_URL", f"ws://{host}:{env.get('ASGI_PORT', '8001')}")
    env.setdefault("DJANGO_SECRET_KEY", _kept_secret("secret-key"))
    env.setdefault("METRICS_TOKEN", _kept_secret("metrics-token"))
    env["STATE_DIR"] = str(STATE)
    # The Procfile names gunicorn, daphne and celery: the ones installed beside this Python.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # Counters of every gunicorn and Celery process, added up by /metrics; emptied at start.
    metrics = Path(env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(STATE / "metrics")))
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    return env


def _kept_secret(name: str) -> str:
    """A random value made once and kept in the state directory, so restarts keep sessions."""
    path = STATE / name
    if not path.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_create(url: str) -> None:
    """CREATE DATABASE when the one named in DATABASE_URL does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"prod-local: created database {name}", flush=True)


def main() -> None:
    env = environment()
    if env["DATABASE_URL"].startswith("postgres"):
        database_create(env["DATABASE_URL"])
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)  # noqa: S603
    honcho = str(Path(sys.executable).with_name("honcho"))
    print(
        f"prod-local: http://127.0.0.1:{env.get('WEB_PORT', '8000')}/ — /readyz, /metrics "
        f"(token in {STATE / 'metrics-token'} unless METRICS_TOKEN is set)",
        flush=True,
    )
    os.chdir(ROOT)
    os.execve(honcho, [honcho, "start", "-f", "Procfile"], env)  # noqa: S606


if __name__ == "__main__":
    main()
