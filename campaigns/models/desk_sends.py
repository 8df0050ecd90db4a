"""Active messages an attendant sends from the Desk (R27): who may, how often, what was sent."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bots.models import Bot, Contact
from campaigns.models.campaign import Campaign
from desk.models import Attendant

DEFAULT_CONTACT_CAP = 1
DEFAULT_CAP_WINDOW_HOURS = 24
MAX_CONTACT_CAP = 20
MAX_CAP_WINDOW_HOURS = 7 * 24


class DeskSendSettings(models.Model):
    """How many active messages from the Desk one contact may receive, per top-level bot.

    A bot without a row uses the defaults: one message per contact per 24 hours.
    """

    bot = models.OneToOneField(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="desk_send_settings"
    )
    contact_cap = models.PositiveSmallIntegerField(
        _("messages per contact"),
        default=DEFAULT_CONTACT_CAP,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONTACT_CAP)],
        help_text=_(
            "How many active messages sent from the Desk one contact may receive within the "
            "window below, whichever attendants send them."
        ),
    )
    cap_window_hours = models.PositiveSmallIntegerField(
        _("in how many hours"),
        default=DEFAULT_CAP_WINDOW_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAP_WINDOW_HOURS)],
        help_text=_("A rolling window: 24 means any 24 hours in a row."),
    )

    class Meta:
        verbose_name = _("Desk active-message settings")
        verbose_name_plural = _("Desk active-message settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_cap__gte=1, cap_window_hours__gte=1),
                name="desk_send_settings_positive",
                violation_error_message=_("The cap and its window must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.bot)

    def clean(self) -> None:
        if self.bot_id and self.bot.is_sub_bot:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("Contacts belong to the router: set the cap on the router."),
                        code="desk_send_settings_on_sub_bot",
                    )
                }
            )


class DeskSender(models.Model):
    """An attendant whom the bot's admin allowed to send active messages from the Desk."""

    attendant = models.OneToOneField(
        Attendant, verbose_name=_("attendant"), on_delete=models.CASCADE, related_name="desk_sender"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attendant allowed to send from the Desk")
        verbose_name_plural = _("attendants allowed to send from the Desk")
        ordering = ["attendant__bot", "attendant__email"]

    def __str__(self) -> str:
        return str(self.attendant)


class DeskSend(models.Model):
    """One active message an attendant sent from the Desk: one contact, one campaign.

    Its status is the campaign's recipient's; the row only says who sent it, to whom and when
    (what the per-contact cap counts and what *Sent by me* lists).
    """

    attendant = models.ForeignKey(
        Attendant, verbose_name=_("attendant"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="desk_send"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("active message sent from the Desk")
        verbose_name_plural = _("active messages sent from the Desk")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The cap reads a contact's recent sends; Sent by me reads an attendant's, newest first.
            models.Index(fields=["contact", "created_at"], name="desk_send_contact_recent"),
            models.Index(fields=["attendant", "-created_at"], name="desk_send_by_attendant"),
        ]

    def __str__(self) -> str:
        return f"{self.attendant} → {self.contact}"
