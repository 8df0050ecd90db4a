"""Teams (filas) and their attendants."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from bots.checks import same_bot_errors
from bots.models import Bot

DEFAULT_TEAM_NAME = "Default"


class Team(models.Model):
    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["bot", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "bot",
                name="team_name_unique_per_bot",
                violation_error_message=_("This bot already has a team with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.bot}"

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_TEAM_NAME

    def clean(self) -> None:
        if self.bot_id and self.bot.is_router:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("A router has no Desk of its own: create teams on its sub-bots."),
                        code="team_on_router",
                    )
                }
            )


class AttendantStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    PAUSE = "pause", _("Pause")
    INVISIBLE = "invisible", _("Invisible")
    OFFLINE = "offline", _("Offline")


# The legal status moves of an attendant. Pause → Pause is a change of pause reason.
ATTENDANT_TRANSITIONS: dict[str, frozenset[str]] = {
    AttendantStatus.ONLINE: frozenset({"pause", "invisible", "offline"}),
    AttendantStatus.PAUSE: frozenset({"online", "pause", "invisible", "offline"}),
    AttendantStatus.INVISIBLE: frozenset({"online", "pause", "offline"}),
    AttendantStatus.OFFLINE: frozenset({"online", "pause", "invisible"}),
}


class Attendant(models.Model):
    Status = AttendantStatus

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="attendants"
    )
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFLINE
    )
    slots = models.PositiveSmallIntegerField(
        _("slots"), default=5, help_text=_("How many tickets the attendant may hold at once.")
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("teams"), through="TeamMembership", related_name="attendants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendants",
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    pause_reason = models.ForeignKey(
        "desk.PauseReason",
        verbose_name=_("pause reason"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_seen_at = models.DateTimeField(
        _("Desk last seen"),
        null=True,
        blank=True,
        help_text=_("Last heartbeat of an open Desk page of this attendant."),
    )
    last_assigned_at = models.DateTimeField(
        _("last new ticket"),
        null=True,
        blank=True,
        help_text=_("When the attendant last received a new ticket: ties go to the longest wait."),
    )

    class Meta:
        verbose_name = _("attendant")
        verbose_name_plural = _("attendants")
        ordering = ["bot", "email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "bot",
                name="attendant_email_unique_per_bot",
                violation_error_message=_("This bot already has an attendant with this e-mail."),
            ),
            models.UniqueConstraint(
                fields=["user", "bot"],
                condition=Q(user__isnull=False),
                name="attendant_one_per_user_and_bot",
                violation_error_message=_("This user is already an attendant of this bot."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["online", "pause", "invisible", "offline"]),
                name="attendant_status_valid",
                violation_error_message=_("Unknown attendant status."),
            ),
            models.CheckConstraint(
                condition=Q(slots__gte=1),
                name="attendant_slots_positive",
                violation_error_message=_("An attendant needs at least one slot."),
            ),
            models.CheckConstraint(
                condition=Q(status="pause") | Q(pause_reason__isnull=True),
                name="attendant_pause_reason_only_in_pause",
                violation_error_message=_("Only a paused attendant has a pause reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args, **kwargs) -> None:
        # E-mails are compared the way people expect: case does not matter.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in ATTENDANT_TRANSITIONS.get(old, frozenset())

    def clean(self) -> None:
        self.email = (self.email or "").strip().lower()
        if self.bot_id and self.bot.is_router:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("A router has no Desk of its own: add attendants to its sub-bots."),
                        code="attendant_on_router",
                    )
                }
            )


class TeamMembership(models.Model):
    attendant = models.ForeignKey(
        Attendant, verbose_name=_("attendant"), on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(
                fields=["attendant", "team"],
                name="teammembership_unique",
                violation_error_message=_("The attendant is already in this team."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendant} — {self.team.name}"

    def clean(self) -> None:
        if not (self.attendant_id and self.team_id):
            return
        if errors := same_bot_errors(self.attendant.bot_id, team=self.team):
            raise ValidationError(errors)
