"""How attendants are present: pause reasons, the status history, absences."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from bots.checks import refuse_desk_on_router, same_bot_errors
from bots.models import Bot
from desk.models.teams import Attendant, AttendantStatus


class PauseReason(models.Model):
    """Why an attendant pauses (lunch, meeting, training…): defined per bot, shown with a timer."""

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="pause_reasons"
    )
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pause reason")
        verbose_name_plural = _("pause reasons")
        ordering = ["bot", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "bot",
                name="pause_reason_unique_per_bot",
                violation_error_message=_("This bot already has a pause reason with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        refuse_desk_on_router(self.bot if self.bot_id else None, _("pause reasons"))


class AttendantStatusChange(models.Model):
    """One status move of an attendant: who, when, to what, why and by whom (the audit)."""

    class Source(models.TextChoices):
        DESK = "desk", _("The attendant, on the Desk")
        ADMIN = "admin", _("An administrator")
        HEARTBEAT = "heartbeat", _("Automatic: the Desk was closed")
        SYSTEM = "system", _("Automatic")

    attendant = models.ForeignKey(
        Attendant,
        verbose_name=_("attendant"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    old_status = models.CharField(_("from"), max_length=10, choices=AttendantStatus.choices)
    status = models.CharField(_("to"), max_length=10, choices=AttendantStatus.choices)
    pause_reason = models.ForeignKey(
        PauseReason,
        verbose_name=_("pause reason"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too: the history still reads right after a reason is renamed or deleted.
    reason_name = models.CharField(_("reason"), max_length=60, blank=True)
    source = models.CharField(_("by"), max_length=10, choices=Source.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["attendant", "-changed_at"], name="status_change_by_person")
        ]

    def __str__(self) -> str:
        return f"{self.attendant}: {self.old_status} → {self.status}"


class AttendantAbsence(models.Model):
    """A date range (vacation, leave) when the attendant is away, with an optional substitute."""

    attendant = models.ForeignKey(
        Attendant, verbose_name=_("attendant"), on_delete=models.CASCADE, related_name="absences"
    )
    starts_on = models.DateField(_("first day away"))
    ends_on = models.DateField(_("last day away"))
    substitute = models.ForeignKey(
        Attendant,
        verbose_name=_("substitute"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="substitutions",
        help_text=_("Receives the campaigns' replies meant for the absent attendant."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["attendant", "-starts_on"]
        indexes = [models.Index(fields=["attendant", "ends_on"], name="absence_by_person_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_after_start",
                violation_error_message=_("The last day cannot come before the first day."),
            ),
            models.CheckConstraint(
                condition=~Q(substitute=models.F("attendant")),
                name="absence_substitute_is_someone_else",
                violation_error_message=_("An attendant cannot substitute themselves."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendant}: {self.starts_on} – {self.ends_on}"

    @property
    def returns_on(self) -> dt.date:
        return self.ends_on + dt.timedelta(days=1)

    def clean(self) -> None:
        errors = {}
        if self.attendant_id:
            errors.update(same_bot_errors(self.attendant.bot_id, substitute=self.substitute))
        if self.substitute_id and self.substitute_id == self.attendant_id:
            errors["substitute"] = ValidationError(
                _("An attendant cannot substitute themselves."), code="R23_substitute_self"
            )
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = ValidationError(
                _("The last day cannot come before the first day."), code="absence_dates"
            )
        if errors:
            raise ValidationError(errors)
