from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "desk"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Desk")

    def ready(self) -> None:
        # Receivers connect on import; tasks register by name for desk/jobs.py, as in campaigns.
        from desk import contact_merge, inbound_config, optout, signals, tasks  # noqa: F401
        from desk.live import receivers  # noqa: F401
