"""Attendance rules: which team a message goes to when no campaign directs it."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.checks import same_bot_errors
from bots.models import Bot
from desk.models.teams import Team


class AttendanceRule(models.Model):
    class Operator(models.TextChoices):
        AND = "and", _("All conditions (AND)")
        OR = "or", _("Any condition (OR)")

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="attendance_rules"
    )
    name = models.CharField(_("name"), max_length=80)
    priority = models.PositiveIntegerField(_("priority"), help_text=_("Lower runs first."))
    is_active = models.BooleanField(_("active"), default=True)
    operator = models.CharField(
        _("join conditions with"), max_length=3, choices=Operator.choices, default=Operator.AND
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="rules"
    )

    class Meta:
        verbose_name = _("attendance rule")
        verbose_name_plural = _("attendance rules")
        ordering = ["bot", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "priority"],
                name="rule_priority_unique_per_bot",
                violation_error_message=_("Another rule of this bot has this priority."),
            ),
            models.CheckConstraint(
                condition=Q(operator__in=["and", "or"]),
                name="rule_operator_valid",
                violation_error_message=_("Unknown operator."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}. {self.name}"

    def clean(self) -> None:
        if errors := same_bot_errors(self.bot_id, team=self.team if self.team_id else None):
            raise ValidationError(errors)


class RuleCondition(models.Model):
    class Source(models.TextChoices):
        LAST_MESSAGE = "last_message", _("Last message")
        NAME = "name", _("Contact name")
        EMAIL = "email", _("Contact e-mail")
        EXTRA = "extra", _("Contact extras")

    class Relation(models.TextChoices):
        CONTAINS = "contains", _("Contains")
        NOT_CONTAINS = "not_contains", _("Does not contain")
        EQUALS = "equals", _("Equals")
        NOT_EQUALS = "not_equals", _("Does not equal")

    rule = models.ForeignKey(
        AttendanceRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="conditions"
    )
    source = models.CharField(_("source"), max_length=14, choices=Source.choices)
    extra_key = models.CharField(_("extras key"), max_length=64, blank=True)
    relation = models.CharField(_("relation"), max_length=14, choices=Relation.choices)
    values = models.JSONField(
        _("values"), default=list, help_text=_("Any of these values makes the condition true.")
    )

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["rule", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["last_message", "name", "email", "extra"]),
                name="condition_source_valid",
                violation_error_message=_("Unknown source."),
            ),
            models.CheckConstraint(
                condition=Q(relation__in=["contains", "not_contains", "equals", "not_equals"]),
                name="condition_relation_valid",
                violation_error_message=_("Unknown relation."),
            ),
            models.CheckConstraint(
                condition=~Q(source="extra") | ~Q(extra_key=""),
                name="condition_extra_needs_key",
                violation_error_message=_("A condition on extras needs the extras key."),
            ),
        ]

    def __str__(self) -> str:
        source = f"extras.{self.extra_key}" if self.source == self.Source.EXTRA else self.source
        return f"{source} {self.relation} {self.values}"

    def clean(self) -> None:
        if not isinstance(self.values, list) or not all(isinstance(v, str) for v in self.values):
            raise ValidationError(
                {"values": ValidationError(_("Values are a list of texts."), code="values_type")}
            )
        if not [v for v in self.values if v.strip()]:
            raise ValidationError(
                {"values": ValidationError(_("Give at least one value."), code="values_empty")}
            )
