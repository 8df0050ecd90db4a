"""What every bench shares: its arguments, a throwaway database, timing and the RESULT line.

Each ``bench/*.py`` (files starting with ``_`` are helpers, not benches) takes ``--smoke`` and
a size flag, builds its own data, measures the project and a baseline in the same run, and
ends with exactly one line::

    RESULT <metric>=<value> goal=<goal> PASS|FAIL

A missed goal exits 1 at full size and 0 under ``--smoke`` (CI runs every bench at smoke size:
a crash fails it, a slow shared machine does not). A correctness failure (a message sent twice,
rows lost) raises, so it fails at any size.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def arguments(
    doc: str, *, size_flag: str, default: int, smoke: int, help: str = ""
) -> argparse.ArgumentParser:
    """A parser with ``--smoke`` and the size flag (``--smoke`` sets the size to ``smoke``).

    The caller adds its own options, then calls ``parse(parser)``.
    """
    parser = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        f"--{size_flag}",
        dest="size",
        type=int,
        default=None,
        help=help or f"size (default {default:,}; --smoke: {smoke:,})",
    )
    parser.add_argument("--smoke", action="store_true", help="a small, quick run (CI)")
    parser.set_defaults(_default=default, _smoke=smoke)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = args._smoke if args.smoke else args._default
    return args


def result(metric: str, value: float, goal: str, passed: bool, *, smoke: bool) -> None:
    """Print the RESULT line and exit: 1 for a missed goal at full size, else 0."""
    verdict = "PASS" if passed else "FAIL"
    shown = f"{value:.2f}" if isinstance(value, float) else str(value)
    print(f"RESULT {metric}={shown} goal={goal} {verdict}", flush=True)
    sys.exit(0 if passed or smoke else 1)


def machine() -> str:
    """Cores and load average, printed with every figure (a busy machine skews them)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: …`` then ``t[0]`` holds the seconds it took."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def django_setup(**env: str) -> None:
    """Configure Django for a bench: SQLite in a temporary file unless DATABASE_URL is set."""
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.setdefault("DJANGO_MEDIA_ROOT", f"{tmp}/media")
    else:
        os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-media-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blipportal.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-key")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.update(env)
    import django

    django.setup()


@contextlib.contextmanager
def throwaway_database(suffix: str = "bench") -> Iterator[str]:
    """A migrated database of its own, dropped at the end: ``<name>_<suffix>`` on PostgreSQL
    (never the DATABASE_URL database itself), a temporary file on SQLite."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor != "sqlite":
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_{suffix}"
    else:
        settings_dict["TEST"]["NAME"] = str(Path(settings_dict["NAME"]).with_suffix(".bench"))
    old_name = settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def column_defaults(model, *, given: dict | None = None, skip=()) -> tuple[list[str], list]:
    """Columns of ``model`` other than its primary key and ``skip`` (field names or columns),
    with the value each takes: ``given[name]``, else the field's default (timestamps: now),
    ready for the database. Rows inserted by hand stay valid when a field is added later."""
    from django.db import connection
    from django.utils import timezone

    given = given or {}
    now = timezone.now()
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in skip or field.column in skip:
            continue
        if field.name in given:
            value = given[field.name]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return columns, values
