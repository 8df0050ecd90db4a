"""Per-bot API keys: only a prefix and a hash are stored, never the key itself."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bots.models import Bot

KEY_PREFIX = "bpk_"


class ApiKey(models.Model):
    bot = models.ForeignKey(
        Bot,
        verbose_name=_("bot"),
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text=_("The key acts on this bot and its sub-bots only."),
    )
    name = models.CharField(
        _("name"), max_length=120, help_text=_("What uses the key, e.g. “CRM de vendas”.")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        help_text=_("Beyond this the API answers 429 with Retry-After."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["bot", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requests_per_minute__gte=1),
                name="apikey_rate_positive",
                violation_error_message=_("Allow at least one request per minute."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        if self.bot_id and self.bot.is_sub_bot:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("Create the key on the router: it also acts on its sub-bots."),
                        code="api_key_on_sub_bot",
                    )
                }
            )
