from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("REST API")

    def ready(self) -> None:
        # tasks: registered in every process so api/jobs.py enqueues them by name; receivers:
        # the lower apps' signals that become webhook events.
        from api import tasks  # noqa: F401
        from api.webhooks import receivers  # noqa: F401
