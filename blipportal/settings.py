"""Settings read from the environment (django-environ); defaults serve `make run` on SQLite."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DJANGO_DEBUG=(bool, False),
    DJANGO_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    DJANGO_TIME_ZONE=(str, "America/Sao_Paulo"),
    CELERY_BROKER_URL=(str, ""),
    WHATSAPP_GATEWAY=(str, "outbox"),
    BLIP_API_URL=(str, "https://http.msging.net"),
)

DEBUG = env("DJANGO_DEBUG")
# The fallback key only exists so that `make run` works out of the box; production sets its own.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so that `runserver` serves the ASGI application (pages and the Desk's WebSockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "formtools",
    "axes",  # login throttling: failed attempts per user and address, unlocked in the admin
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the docs page's JS/CSS, served by the app (no CDN)
    "bots",
    "desk",
    "campaigns",
    "api",  # the public REST API v1: above campaigns, never imported by them
    "blipportal",  # project-wide commands (seed_demo reaches into every app)
]

MIDDLEWARE = [
    "blipportal.ops.middleware.ProbeMiddleware",  # /healthz /readyz /metrics: before Host checks
    "blipportal.ops.logs.RequestContextMiddleware",  # the request id (and ids in the URL) in logs
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before the rest
    "django.contrib.auth.backends.ModelBackend",
]
# A user name failing AXES_FAILURE_LIMIT times from one address is locked there for the cool-off
# (an office behind one address keeps working; a guesser is stopped). Superusers unlock in the
# admin (Axes › Access attempts: delete the rows) or `manage.py axes_reset`.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "blipportal.security.lockout_response"
# Behind N reverse proxies the client's address is the N-th from the right in X-Forwarded-For.
PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "blipportal.security.client_ip"

ROOT_URLCONF = "blipportal.urls"
WSGI_APPLICATION = "blipportal.wsgi.application"
ASGI_APPLICATION = "blipportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bots.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, the scheduler loop and a worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=False):
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Brazilian Portuguese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Audience files of 100,000 rows are several megabytes; uploads stream to disk past 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Deployment behind TLS (README › Production). Each default is the safe one when DEBUG is off;
# `make prod-local` turns the TLS ones off for plain http on 127.0.0.1.
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and the metrics scraper talk plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=not DEBUG):
    # Only behind a proxy that sets (and strips incoming) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery: no broker configured means every task runs inline, so `make run` needs nothing else.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "memory://"
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "send-scheduled-campaigns": {
        "task": "campaigns.tasks.send_scheduled_campaigns",
        "schedule": env.float("SCHEDULER_INTERVAL_SECONDS", default=30.0),
    },
    "cleanup-wizard-uploads": {
        "task": "campaigns.tasks.cleanup_wizard_uploads",
        "schedule": 3600.0,
    },
    "api-idempotency-cleanup": {"task": "api.tasks.idempotency_cleanup", "schedule": 3600.0},
    # The figures of the campaign list and report (campaigns/reporting/rollup.py).
    "refresh-campaign-results": {
        "task": "campaigns.tasks.refresh_campaign_results",
        "schedule": env.float("CAMPAIGN_RESULTS_INTERVAL_SECONDS", default=60.0),
    },
    "api-webhook-retries": {"task": "api.tasks.webhooks_retry_due", "schedule": 30.0},
    # reply.routed events a crash left unqueued (api/webhooks/sweep.py).
    "api-reply-events-sweep": {"task": "api.tasks.reply_events_sweep", "schedule": 60.0},
    # Audience imports whose task was lost are enqueued again (campaigns/import_sweep.py).
    "resume-lost-imports": {"task": "campaigns.tasks.resume_lost_imports", "schedule": 300.0},
    # Hand-over (R22), inactivity (R24), unanswered flags, auto-Offline, the distribution sweep.
    "desk-timers": {
        "task": "desk.tasks.desk_timers",
        "schedule": env.float("DESK_TIMERS_INTERVAL_SECONDS", default=15.0),
    },
}

# No scheduler tick for this long: the campaign list warns and /readyz reports the scheduler down.
SCHEDULER_STALE_AFTER_SECONDS = env.float("SCHEDULER_STALE_AFTER_SECONDS", default=120.0)

# The Desk's live events travel through a channel layer. Without CHANNELS_REDIS_URL the layer lives
# in memory, which only reaches sockets of the same process: enough for `make run`, not for
# production, where the web workers that take webhooks and the ASGI processes holding the
# attendants' sockets are different processes.
CHANNELS_REDIS_URL = env("CHANNELS_REDIS_URL", default="")
# Where the Desk pages open their WebSockets (e.g. ws://host:8001) when no proxy routes /ws/ of
# the pages' own address to the ASGI process; empty: the pages' own address.
DESK_SOCKET_URL = env("DESK_SOCKET_URL", default="").rstrip("/")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 reads with a 5 s socket timeout by default, exactly channels-redis's
        # blocking-pop timeout: a busy server then drops sockets. Read longer than the pop waits.
        "CONFIG": {
            "hosts": [{"address": CHANNELS_REDIS_URL, "socket_timeout": 15}],
            "prefix": "blipportal",
        },
    }
    if CHANNELS_REDIS_URL
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

from api.conf import REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: E402, F401

# Recovery of crashed sends (campaigns/sending/recovery.py): a claim older than this is settled
# as "unknown outcome"; a Sending campaign with no claim for this long is enqueued again.
SENDING_CLAIM_TIMEOUT_SECONDS = env.float("SENDING_CLAIM_TIMEOUT_SECONDS", default=600.0)
SENDING_RESUME_AFTER_SECONDS = env.float("SENDING_RESUME_AFTER_SECONDS", default=120.0)
# The sending engine (campaigns/sending/): recipients per task, recipients claimed and recorded
# together, and sends in flight per worker process (they hide Blip's round trip).
SENDING_BATCH_SIZE = env.int("SENDING_BATCH_SIZE", default=500)
SENDING_CHUNK_SIZE = env.int("SENDING_CHUNK_SIZE", default=250)
SENDING_CONCURRENCY = env.int("SENDING_CONCURRENCY", default=8)

WHATSAPP_GATEWAY = env("WHATSAPP_GATEWAY")

# Operations (blipportal/ops): /metrics needs `Authorization: Bearer <METRICS_TOKEN>` and does not
# exist without one; /readyz fails while no scheduler ticks unless told not to care.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
READYZ_REQUIRE_SCHEDULER = env.bool("READYZ_REQUIRE_SCHEDULER", default=True)
BLIP_API_URL = env("BLIP_API_URL")

# One JSON object per line (blipportal/ops/logs.py) unless DJANGO_LOG_FORMAT=plain; plain text
# by default while debugging. Celery workers log through the same configuration.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "blipportal.ops.logs.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "blipportal.ops.logs.Formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver (daphne's) prints each request itself: not twice.
        "django.channels.server": {"level": "INFO", "propagate": False},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
