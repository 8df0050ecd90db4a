from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Active messages")

    def ready(self) -> None:
        from campaigns import receivers  # noqa: F401  (the Desk's contact_replied)
        from campaigns.sending import receivers as sending_receivers  # noqa: F401  (delivery events)
