from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "desk"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Desk")

    def ready(self) -> None:
        from desk import contact_merge, signals  # noqa: F401  (connects the receivers)
        from desk.live import receivers  # noqa: F401
