import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blipportal.settings")

app = Celery("blipportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Log lines of tasks carry the request id of the request that enqueued them (ops/logs.py).
import blipportal.ops.logs  # noqa: E402,F401  (connects the Celery signals)
