"""A Celery worker process settles as a gunicorn worker does: what it inherited is frozen and
the young generation is collected less often (``blipportal.ops.memory``)."""

from tests.ops.processes import run_django_child

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
    frozen_before, young_before, frozen, young = map(int, run_django_child(CHILD).split())
    assert (frozen_before, young_before) == (0, 700)
    assert frozen > 50_000  # Django, the apps and Celery: out of every later full collection
    assert young == 5000
