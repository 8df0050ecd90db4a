"""A Django script run in a process of its own: what a worker process does to itself (freezing
its objects, for one) must not outlive the test."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_django_child(script: str) -> str:
    """Run ``script`` (which calls ``django.setup()``) with this interpreter; its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DJANGO_SETTINGS_MODULE="blipportal.settings", DJANGO_SECRET_KEY="child-test-key")
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
