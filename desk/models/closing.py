"""What attendants add to a ticket: closing tags, internal notes; and their quick replies."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from bots.checks import refuse_desk_on_router, same_bot_errors
from bots.models import Bot
from desk.models.teams import Team

# {name}, {first_name} and {<extras key>}: letters, digits and _ (as CSV headers are, R16).
QUICK_REPLY_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BRACES = re.compile(r"[{}]")


class ClosingTag(models.Model):
    """A label the attendant gives a ticket at close (sale, complaint, doubt…), per bot (R25)."""

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="closing_tags"
    )
    name = models.CharField(_("name"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("closing tag")
        verbose_name_plural = _("closing tags")
        ordering = ["bot", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "bot",
                name="closing_tag_unique_per_bot",
                violation_error_message=_("This bot already has a closing tag with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        refuse_desk_on_router(self.bot if self.bot_id else None, _("closing tags"))


class TicketNote(models.Model):
    """An internal note on a ticket: seen by attendants and supervisors, never by the customer."""

    ticket = models.ForeignKey(
        "desk.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class QuickReply(models.Model):
    """A ready answer (resposta pronta) of a bot, for every team or one team."""

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="quick_replies"
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quick_replies",
        help_text=_("Empty: offered on the tickets of every team of the bot."),
    )
    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(
        _("text"),
        max_length=4096,
        help_text=_(
            "Variables: {name} (the customer's name), {first_name}, and any extra of the "
            "contact by its key, e.g. {cidade}."
        ),
    )

    class Meta:
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")
        ordering = ["bot", "title"]
        constraints = [
            models.UniqueConstraint(
                Lower("title"),
                "bot",
                "team",
                name="quick_reply_title_unique",
                violation_error_message=_("This team already has a quick reply with this title."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        refuse_desk_on_router(self.bot if self.bot_id else None, _("quick replies"))
        errors = same_bot_errors(self.bot_id, team=self.team if self.team_id else None)
        leftover = _BRACES.search(QUICK_REPLY_VARIABLE.sub("", self.text or ""))
        if leftover:
            errors["text"] = ValidationError(
                # xgettext:no-python-brace-format (the braces are shown to people, never filled)
                _("Write variables as {name} or {key}: letters, digits and _ between braces."),
                code="R25_quick_reply_variable",
            )
        if errors:
            raise ValidationError(errors)
