"""Opt-out by reply (R20): per bot, the words and the button that stop its campaigns."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bots.models import Bot

# What Brazilian customers (and a few English speakers) write to stop messages. Compared whole,
# ignoring case, accents and punctuation: "Sair!" matches, "não quero sair" does not.
DEFAULT_OPT_OUT_KEYWORDS = [
    "SAIR",
    "PARAR",
    "PARE",
    "STOP",
    "DESCADASTRAR",
    "DESCADASTRE",
    "NÃO QUERO RECEBER",
    "UNSUBSCRIBE",
]
MAX_KEYWORD_LENGTH = 60


def default_opt_out_keywords() -> list[str]:
    return list(DEFAULT_OPT_OUT_KEYWORDS)


def default_opt_out_confirmation() -> str:
    # The customers' language, whoever creates the row: the message goes to them.
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "Done: you will no longer receive our campaign messages here. If you change your "
            "mind, just tell us."
        )


class OptOutSettings(models.Model):
    bot = models.OneToOneField(
        Bot,
        verbose_name=_("bot"),
        on_delete=models.CASCADE,
        related_name="opt_out_settings",
        help_text=_("A stand-alone bot or a router: contacts belong to it."),
    )
    enabled = models.BooleanField(
        _("opt-out by reply"),
        default=True,
        help_text=_("When off, keywords and the button are read as ordinary messages."),
    )
    keywords = models.JSONField(
        _("opt-out keywords"),
        default=default_opt_out_keywords,
        blank=True,
        help_text=_("A reply made of one of these words alone opts the contact out."),
    )
    button_payload = models.CharField(
        _("opt-out button payload"),
        max_length=200,
        blank=True,
        help_text=_(
            "The payload of a template's quick-reply button that opts out (when the template "
            "gives the button no payload, its text)."
        ),
    )
    confirmation = models.TextField(
        _("confirmation message"),
        max_length=1024,
        default=default_opt_out_confirmation,
        help_text=_("Sent once to the contact who opted out."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("opt-out settings")
        verbose_name_plural = _("opt-out settings")

    def __str__(self) -> str:
        return str(self.bot)

    def clean(self) -> None:
        errors = {}
        if self.bot_id and self.bot.is_sub_bot:
            errors["bot"] = ValidationError(
                _("Contacts belong to the router: set the opt-out on it."), code="R20_sub_bot"
            )
        words = self.keywords if isinstance(self.keywords, list) else None
        if words is None or not all(
            isinstance(w, str) and w.strip() and len(w) <= MAX_KEYWORD_LENGTH for w in words
        ):
            errors["keywords"] = ValidationError(
                _("Keywords are words or short phrases of up to %(n)d characters."),
                code="R20_keywords",
                params={"n": MAX_KEYWORD_LENGTH},
            )
        if self.enabled and not (words or self.button_payload.strip()):
            errors["keywords"] = ValidationError(
                _("Give at least one keyword or the button payload, or turn opt-out off."),
                code="R20_nothing_to_match",
            )
        if errors:
            raise ValidationError(errors)
