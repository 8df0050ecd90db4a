"""Chaos benchmark: one whole campaign on PostgreSQL + Redis while everything goes wrong.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blipportal python bench/chaos.py [--smoke]
        [--recipients 50000] [--outage 60] [--kill-every 10]

Two real Celery workers, beat and gunicorn send a bulk campaign through the loopback fake Blip
(5 % of sends answered 500, 2 % 429, 0.5 % dropped after being accepted) while the harness
SIGKILLs a worker every 10 s and restarts it, restarts its own Redis once, and cuts PostgreSQL
off for 60 s through a TCP proxy it owns (the machine's servers are never touched); a burst of
inbound webhooks arrives during the outage. The baseline is the same campaign on the same
processes with no disturbance, run first in this process. A ``<name>_chaos`` database is
created and dropped. Ends with ``RESULT sent_twice_plus_lost=<n> goal=0 PASS|FAIL``.
See tests/chaos.py for the harness.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def configure() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/chaos.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="blipportal.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-chaos-key"),
        DJANGO_DEBUG="0",
        CELERY_BROKER_URL="",
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_chaos"
    return connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1,000 recipients, 10 s outage")
    parser.add_argument("--recipients", type=int, default=50_000)
    parser.add_argument("--outage", type=float, default=60.0, help="database outage, seconds")
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--no-baseline", action="store_true", help="skip the calm run")
    args = parser.parse_args()
    test_db = configure()
    from django.db import connection

    from tests.chaos import ChaosConfig, run

    if args.smoke:
        config = ChaosConfig(
            recipients=1000,
            redis_restart_at=3.0,
            db_outage_at=6.0,
            db_outage=10.0,
            inbound_burst=20,
            claim_timeout=20.0,
            resume_after=5.0,
            scheduler_interval=1.0,
            timeout=600.0,
        )
    else:
        config = ChaosConfig(
            recipients=args.recipients, db_outage=args.outage, kill_every=args.kill_every
        )
    logs = Path(tempfile.mkdtemp(prefix="chaos-bench-"))
    try:
        calm = None
        if not args.no_baseline:
            print(f"baseline: {config.recipients:,} recipients, no disturbance", flush=True)
            calm = run(ChaosConfig.calm(config), logs / "calm", say=_say)
            print("\n".join(f"  {line}" for line in calm.lines()), flush=True)
        print(f"chaos: {config.recipients:,} recipients", flush=True)
        result = run(config, logs / "chaos", say=_say)
    finally:
        connection.close()
        connection.creation.destroy_test_db(test_db, verbosity=0)
    print()
    print("\n".join(result.lines()))
    if calm is not None:
        ratio = result.wall_seconds / calm.wall_seconds
        print(f"wall time: chaos {result.wall_seconds:.0f} s, calm {calm.wall_seconds:.0f} s "
              f"(x{ratio:.1f}); logs in {logs}")  # fmt: skip
    bad = result.sent_twice + result.lost + result.inbound_acknowledged_lost
    verdict = (
        "PASS" if bad == 0 and result.campaign_status in ("sent", "sent_with_failures") else "FAIL"
    )
    print(f"RESULT sent_twice_plus_lost={bad} goal=0 {verdict}")
    if verdict == "FAIL":
        sys.exit(1)


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


if __name__ == "__main__":
    main()
