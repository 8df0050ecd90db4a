"""Reply directives: what a campaign send leaves for the contact's next reply."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.models import Bot, Contact, FlowBlock
from desk.models.teams import Attendant, Team


class ReplyDirective(models.Model):
    """What an active message leaves for the contact's next reply, valid for 24 hours (R11)."""

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="directives"
    )
    bot = models.ForeignKey(
        Bot,
        verbose_name=_("bot"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The (sub-)bot whose Desk takes the reply."),
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True
    )
    attendant = models.ForeignKey(
        Attendant, verbose_name=_("attendant"), on_delete=models.CASCADE, null=True, blank=True
    )
    human_block = models.ForeignKey(
        FlowBlock,
        verbose_name=_("human-attendance block"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    meant_for = models.ForeignKey(
        Attendant,
        verbose_name=_("meant for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The absent attendant the campaign chose; the substitute receives it (R23)."),
    )
    fallback_minutes = models.PositiveIntegerField(
        _("hand over to the team after (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: the reply waits for the attendant (R22)."),
    )
    source_label = models.CharField(_("campaign"), max_length=200)
    source_id = models.PositiveBigIntegerField(_("campaign id"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    valid_until = models.DateTimeField(_("valid until"))
    superseded = models.BooleanField(_("superseded"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply directive")
        verbose_name_plural = _("reply directives")
        ordering = ["-sent_at", "-id"]
        # A campaign's report reads its directives by source.
        indexes = [models.Index(fields=["source_id"], name="directive_source")]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True, attendant__isnull=False)
                | Q(team__isnull=False, attendant__isnull=True),
                name="directive_one_target",
                violation_error_message=_("A directive targets a team or an attendant, not both."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("sent_at")),
                name="directive_valid_after_send",
                violation_error_message=_("A directive must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(superseded=False),
                name="directive_one_current_per_contact",
                violation_error_message=_("The contact already has a current directive."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} → {self.attendant or self.team} ({self.source_label})"
