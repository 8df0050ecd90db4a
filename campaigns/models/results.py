"""A campaign's results, rolled up from its recipients and the Desk: what the list and report read.

Counting a million recipients on every page view is what this row avoids: the roll-up
(campaigns/reporting/rollup.py) rewrites it from aggregate queries while the campaign is live.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign


class CampaignResults(models.Model):
    campaign = models.OneToOneField(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="results",
    )
    total = models.PositiveIntegerField(_("recipients"), default=0)
    # Each step counts the recipients that reached it or a later one (a read message was sent).
    pending = models.PositiveIntegerField(_("pending"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    read = models.PositiveIntegerField(_("read"), default=0)
    replied = models.PositiveIntegerField(_("replied"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    tickets_opened = models.PositiveIntegerField(_("tickets opened"), default=0)
    human_answered = models.PositiveIntegerField(_("answered by a person"), default=0)
    # Failure groups, routing outcomes, response times and replies per hour (reporting/figures.py).
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("campaign results")
        verbose_name_plural = _("campaign results")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.replied}/{self.sent}"

    @property
    def reply_rate(self) -> float | None:
        """Replies per sent message, 0–1; None before anything was sent."""
        return self.replied / self.sent if self.sent else None
