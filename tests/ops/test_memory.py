"""A Celery worker process settles as a gunicorn worker does: what it inherited is frozen and
the young generation is collected less often (``blipportal.ops.memory``)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: freezing the test run's objects would outlive the test.
CHILD = """
import gc
import django
django.setup()
from celery.signals import worker_process_init
from blipportal.celery import app
before = gc.get_freeze_count(), gc.get_threshold()[0]
worker_process_init.send(sender=None)
print(*before, gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_a_celery_worker_process_freezes_what_it_inherited():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DJANGO_SETTINGS_MODULE="blipportal.settings", DJANGO_SECRET_KEY="memory-test-key")
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    frozen_before, young_before, frozen, young = map(int, done.stdout.split())
    assert (frozen_before, young_before) == (0, 700)
    assert frozen > 50_000  # Django, the apps and Celery: out of every later full collection
    assert young == 5000
