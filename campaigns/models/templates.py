"""Approved WhatsApp message templates."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.models import Bot

TEMPLATE_NAME_RE = re.compile(r"^[a-z0-9_]+$")
VARIABLE_RE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
MAX_QUICK_REPLIES = 3


def template_variables(text: str) -> list[int]:
    return sorted({int(n) for n in VARIABLE_RE.findall(text or "")})


class MessageTemplate(models.Model):
    class Category(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        UTILITY = "utility", _("Utility")
        AUTHENTICATION = "authentication", _("Authentication")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAUSED = "paused", _("Paused")
        DISABLED = "disabled", _("Disabled")

    class HeaderType(models.TextChoices):
        NONE = "none", _("None")
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")

    MEDIA_HEADERS = (HeaderType.IMAGE, HeaderType.VIDEO, HeaderType.DOCUMENT)

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="templates"
    )
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=10, default="pt_BR")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    header_type = models.CharField(
        _("header"), max_length=10, choices=HeaderType.choices, default=HeaderType.NONE
    )
    header_text = models.CharField(_("header text"), max_length=60, blank=True)
    body = models.TextField(_("body"), max_length=1024)
    footer = models.CharField(_("footer"), max_length=60, blank=True)
    buttons = models.JSONField(
        _("buttons"),
        default=list,
        blank=True,
        help_text=_('List of {"type": "quick_reply"|"url"|"phone", "text": …, "url"|"phone": …}.'),
    )
    variable_count = models.PositiveSmallIntegerField(_("variables"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["bot", "name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "name", "language"],
                name="template_unique_per_bot_language",
                violation_error_message=_("This bot already has this template in this language."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "paused", "disabled"]),
                name="template_status_valid",
                violation_error_message=_("Unknown template status."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=["marketing", "utility", "authentication"]),
                name="template_category_valid",
                violation_error_message=_("Unknown template category."),
            ),
            models.CheckConstraint(
                condition=Q(header_type__in=["none", "text", "image", "video", "document"]),
                name="template_header_valid",
                violation_error_message=_("Unknown header type."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def save(self, *args, **kwargs) -> None:
        self.variable_count = len(template_variables(self.body))
        super().save(*args, **kwargs)

    @property
    def has_media_header(self) -> bool:
        return self.header_type in self.MEDIA_HEADERS

    @property
    def url_button_index(self) -> int | None:
        """Index of the URL button whose address ends in {{1}}: it takes one parameter."""
        for index, button in enumerate(self.buttons or []):
            if button.get("type") == "url" and VARIABLE_RE.search(button.get("url", "")):
                return index
        return None

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if not TEMPLATE_NAME_RE.fullmatch(self.name or ""):
            errors["name"] = ValidationError(
                _("Use lowercase letters, digits and underscores only."), code="template_name"
            )
        numbers = template_variables(self.body)
        if numbers != list(range(1, len(numbers) + 1)):
            errors["body"] = ValidationError(
                _("Variables must be numbered {{1}}, {{2}}, … without gaps."),
                code="template_variables_gap",
            )
        self.variable_count = len(numbers)
        if self.header_type == self.HeaderType.TEXT and not self.header_text:
            errors["header_text"] = ValidationError(
                _("A text header needs its text."), code="template_header_text"
            )
        if self.header_type != self.HeaderType.TEXT and self.header_text:
            errors["header_text"] = ValidationError(
                _("Only a text header has a header text."), code="template_header_text"
            )
        button_error = self._button_error()
        if button_error:
            errors["buttons"] = button_error
        if errors:
            raise ValidationError(errors)

    def _button_error(self) -> ValidationError | None:
        buttons = self.buttons or []
        if not isinstance(buttons, list) or not all(isinstance(b, dict) for b in buttons):
            return ValidationError(_("Buttons are a list of objects."), code="template_buttons")
        kinds = [b.get("type") for b in buttons]
        if any(k not in ("quick_reply", "url", "phone") for k in kinds):
            return ValidationError(_("Unknown button type."), code="template_button_type")
        if any(not (b.get("text") or "").strip() for b in buttons):
            return ValidationError(_("Every button needs a text."), code="template_button_text")
        if kinds.count("quick_reply") > MAX_QUICK_REPLIES:
            return ValidationError(
                _("At most three quick-reply buttons."), code="template_too_many_quick_replies"
            )
        for button in buttons:
            if button["type"] == "url":
                url = button.get("url", "")
                found = VARIABLE_RE.findall(url)
                if not url.startswith(("https://", "http://")) or len(found) > 1:
                    return ValidationError(
                        _("A URL button needs an http(s) address with at most one {{1}}."),
                        code="template_button_url",
                    )
                if found and (found[0] != "1" or not VARIABLE_RE.search(url.rstrip()[-8:])):
                    return ValidationError(
                        _("The URL variable must be {{1}} at the end of the address."),
                        code="template_button_url",
                    )
            if button["type"] == "phone" and not str(button.get("phone", "")).startswith("+"):
                return ValidationError(
                    _("A phone button needs a number in the +55… format."),
                    code="template_button_phone",
                )
        return None

    def check_parameters(self, parameters: dict) -> None:
        """Raise ValidationError unless ``parameters`` fill exactly this template's variables."""
        body = parameters.get("body", [])
        if len(body) != self.variable_count:
            raise ValidationError(
                _("The template has %(expected)d variables but %(given)d values were given."),
                code="template_parameter_count",
                params={"expected": self.variable_count, "given": len(body)},
            )
        empty = next((n for n, v in enumerate(body, start=1) if not str(v or "").strip()), None)
        if empty is not None:
            raise ValidationError(
                _("Fill in variable {{%(n)d}}."),
                code="template_variable_missing",
                params={"n": empty},
            )
        if self.has_media_header and not parameters.get("header"):
            raise ValidationError(
                _("The template's media header needs a file address."),
                code="template_header_missing",
            )
        if self.url_button_index is not None and not parameters.get("button"):
            raise ValidationError(
                _("The template's URL button needs its variable."), code="template_button_missing"
            )
