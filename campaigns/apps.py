from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Active messages")

    def ready(self) -> None:
        # receivers: the Desk's contact_replied; sending.receivers: delivery events; tasks:
        # registered in every process (web, commands, workers), so that campaigns/jobs.py can
        # enqueue them by name without the services importing the task module. desk_panel and
        # desk_sends.workspace register what the Desk's workspace shows of campaigns.
        from campaigns import contact_merge, desk_panel, receivers, tasks  # noqa: F401
        from campaigns.desk_sends import workspace as desk_send_workspace  # noqa: F401
        from campaigns.sending import receivers as sending_receivers  # noqa: F401
