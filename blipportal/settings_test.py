"""Overlay for the test suite: fast hashing, eager Celery, the outbox gateway."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key")
os.environ.setdefault("DJANGO_DEBUG", "false")

from blipportal.settings import *  # noqa: F403
from blipportal.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
WHATSAPP_GATEWAY = "outbox"
LANGUAGE_CODE = "pt-br"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# Throttling is tested on its own (tests/test_login_throttling.py, with AXES_ENABLED=True); the
# rest of the suite logs in freely, with Client.login() too.
AXES_ENABLED = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", "")}
    DATABASES["default"]["OPTIONS"].pop("init_command", None)
else:
    # Threads of the in-process ASGI server (browser tests) must not keep connections open past
    # their request, or the test database cannot be dropped at the end of the session.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# WhiteNoise only serves collected files; tests have none, and Django's finders do the job.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
