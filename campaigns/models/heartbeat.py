"""The scheduler's heartbeat: one row per kind of scheduler, rewritten by every tick."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchedulerHeartbeat(models.Model):
    """When a scheduler (the command's loop or Celery beat) last ran a tick.

    A plain database row rather than a cache key, so the campaign list and /readyz see the same
    thing from any process, and a restarted Redis does not make a living scheduler look dead.
    """

    class Source(models.TextChoices):
        COMMAND = "command", _("send_scheduled_campaigns command")
        BEAT = "beat", _("Celery beat")

    source = models.CharField(_("scheduler"), max_length=20, primary_key=True)
    beat_at = models.DateTimeField(_("last tick"))
    host = models.CharField(_("host"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scheduler heartbeat")
        verbose_name_plural = _("scheduler heartbeats")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=["command", "beat"]),
                name="scheduler_heartbeat_source_valid",
                violation_error_message=_("Unknown scheduler."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
