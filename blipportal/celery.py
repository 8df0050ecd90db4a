import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blipportal.settings")

app = Celery("blipportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Log lines of tasks carry the request id of the request that enqueued them (ops/logs.py).
import blipportal.ops.logs  # noqa: E402,F401  (connects the Celery signals)


@worker_process_init.connect(dispatch_uid="blipportal_worker_settle")
def _settle(**kwargs) -> None:
    """Each prefork child, once started: freeze what it inherited, collect less often."""
    from blipportal.ops.memory import process_settle

    process_settle()
