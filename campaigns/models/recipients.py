"""Recipients: one contact of a campaign, whose status only moves forward."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.models import Contact
from campaigns.models.campaign import Campaign


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    REPLIED = "replied", _("Replied")
    FAILED = "failed", _("Failed")


# Progress only goes forward: a late "delivered" never turns Read back into Delivered.
RECIPIENT_RANK: dict[str, int] = {
    RecipientStatus.PENDING: 0,
    RecipientStatus.SENDING: 1,
    RecipientStatus.SENT: 2,
    RecipientStatus.DELIVERED: 3,
    RecipientStatus.READ: 4,
    RecipientStatus.REPLIED: 5,
}
RECIPIENT_TRANSITIONS: dict[str, frozenset[str]] = {
    RecipientStatus.PENDING: frozenset({RecipientStatus.SENDING, RecipientStatus.FAILED}),
    # A delivery event or a reply may prove a send before the engine recorded it
    # (campaigns.sending.delivery).
    RecipientStatus.SENDING: frozenset(
        {
            RecipientStatus.SENT,
            RecipientStatus.DELIVERED,
            RecipientStatus.READ,
            RecipientStatus.REPLIED,
            RecipientStatus.FAILED,
        }
    ),
    RecipientStatus.SENT: frozenset(
        {
            RecipientStatus.DELIVERED,
            RecipientStatus.READ,
            RecipientStatus.REPLIED,
            RecipientStatus.FAILED,
        }
    ),
    RecipientStatus.DELIVERED: frozenset({RecipientStatus.READ, RecipientStatus.REPLIED}),
    RecipientStatus.READ: frozenset({RecipientStatus.REPLIED}),
    RecipientStatus.REPLIED: frozenset(),
    # A failure with an unknown outcome is corrected when a delivery event proves the send.
    RecipientStatus.FAILED: frozenset(
        {
            RecipientStatus.SENT,
            RecipientStatus.DELIVERED,
            RecipientStatus.READ,
            RecipientStatus.REPLIED,
        }
    ),
}


class Recipient(models.Model):
    Status = RecipientStatus

    # No index of their own: the indexes below lead with each (an index more is one more write
    # on every status move of every recipient, and a recipient moves two or three times).
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="recipients",
        db_index=False,
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="recipients",
        db_index=False,
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    gateway_message_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    # Stable code of the failure (unknown_outcome, opted_out, gateway_permanent…): the progress
    # panel groups by it and tests assert it, while the reason keeps the gateway's own words.
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    # R26: still Pending because the bot's messaging limit was reached; when a slot should free.
    deferred_until = models.DateTimeField(_("deferred until"), null=True, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["campaign", "id"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="recipient_campaign_status"),
            # A campaign's recipients in order, a page at a time (detail, report, exports):
            # without it PostgreSQL walks the whole primary key to find one campaign's rows.
            models.Index(fields=["campaign", "id"], name="recipient_campaign_order"),
            models.Index(fields=["gateway_message_id"], name="recipient_gateway_id"),
            models.Index(fields=["contact", "sent_at"], name="recipient_contact_sent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                name="recipient_unique_per_campaign",
                violation_error_message=_("This contact is already in the campaign."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values),
                name="recipient_status_valid",
                violation_error_message=_("Unknown recipient status."),
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="recipient_failed_has_reason",
                violation_error_message=_("A failed recipient needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_status_display()})"

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in RECIPIENT_TRANSITIONS.get(old, frozenset())
