"""How one bot's Desk works: distribution mode, heartbeat, inactivity and closing rules."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.checks import same_bot_errors
from bots.models import Bot

DEFAULT_OFFLINE_AFTER_MINUTES = 10
DAY_MINUTES = 24 * 60


def default_warning_text() -> str:
    # A callable, so each new bot gets the text in the language of whoever creates it.
    from django.utils.translation import gettext

    return gettext(
        "Are you still there? Without an answer this conversation will be closed shortly."
    )


def _minutes(label, help_text, *, default=None, maximum=DAY_MINUTES):
    return models.PositiveIntegerField(
        label,
        null=default is None,
        blank=default is None,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(maximum)],
        help_text=help_text,
    )


class DeskSettings(models.Model):
    class Distribution(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic")
        MANUAL = "manual", _("Manual (Attend a new customer)")

    bot = models.OneToOneField(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="desk_settings"
    )
    distribution = models.CharField(
        _("ticket distribution"),
        max_length=10,
        choices=Distribution.choices,
        default=Distribution.AUTOMATIC,
        help_text=_(
            "Automatic: a waiting customer goes at once to an Online attendant of the team with "
            "a free slot and the fewest open tickets. Manual: attendants press Attend a new "
            "customer."
        ),
    )
    hide_attend_button = models.BooleanField(
        _("hide Attend a new customer"),
        default=False,
        help_text=_("In automatic mode, attendants only receive customers: no button to pull."),
    )
    offline_after_minutes = _minutes(
        _("Offline after (minutes)"),
        _("An attendant whose Desk page has been closed this long is set Offline."),
        default=DEFAULT_OFFLINE_AFTER_MINUTES,
    )
    inactivity_warning_minutes = _minutes(
        _("warn a silent customer after (minutes)"),
        _("Empty: customers are never warned nor closed for inactivity."),
    )
    inactivity_warning_text = models.TextField(
        _("inactivity warning"),
        blank=True,
        default=default_warning_text,
        help_text=_("Sent to the customer on WhatsApp; empty: no message, the timer still runs."),
    )
    inactivity_close_minutes = _minutes(
        _("then close after (minutes)"),
        _("Minutes after the warning; empty: the ticket is warned but not closed."),
    )
    inactivity_close_tag = models.ForeignKey(
        "desk.ClosingTag",
        verbose_name=_("closing tag for inactivity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    unanswered_flag_minutes = _minutes(
        _("flag a customer unanswered after (minutes)"),
        _("The supervisor board flags attendants who leave a customer waiting this long."),
        default=5,
    )
    closing_tag_required = models.BooleanField(
        _("closing tag required"),
        default=False,
        help_text=_("Attendants must choose at least one closing tag to close a ticket."),
    )

    class Meta:
        verbose_name = _("Desk settings")
        verbose_name_plural = _("Desk settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(distribution__in=["automatic", "manual"]),
                name="desk_settings_distribution_valid",
                violation_error_message=_("Unknown distribution mode."),
            ),
            models.CheckConstraint(
                condition=Q(inactivity_close_minutes__isnull=True)
                | Q(inactivity_warning_minutes__isnull=False),
                name="desk_settings_close_needs_warning",
                violation_error_message=_(
                    "Set the minutes before the warning to close inactive tickets."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self.bot)

    @property
    def is_automatic(self) -> bool:
        return self.distribution == self.Distribution.AUTOMATIC

    @property
    def shows_attend_button(self) -> bool:
        return not (self.is_automatic and self.hide_attend_button)

    def clean(self) -> None:
        errors = same_bot_errors(self.bot_id, inactivity_close_tag=self.inactivity_close_tag)
        if self.inactivity_close_minutes and not self.inactivity_warning_minutes:
            errors["inactivity_warning_minutes"] = ValidationError(
                _("Set the minutes before the warning to close inactive tickets."),
                code="R24_close_needs_warning",
            )
        if errors:
            raise ValidationError(errors)
