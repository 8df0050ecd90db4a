"""Campaigns: one use of the wizard, and its legal status moves."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.checks import same_bot_errors
from bots.labels import label_of
from bots.models import Bot, FlowBlock
from campaigns.models.templates import MessageTemplate
from desk.models import Attendant, Team

# A directive lives 24 h (R11): a later hand-over would never happen.
FALLBACK_MAX_MINUTES = 24 * 60


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SENT_WITH_FAILURES = "sent_with_failures", _("Sent with failures")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    # Draft → Failed: an audience imported in the background (wizard, large CSV) that cannot be
    # stored or is refused when it is finally submitted.
    CampaignStatus.DRAFT: frozenset(
        {
            CampaignStatus.SCHEDULED,
            CampaignStatus.SENDING,
            CampaignStatus.FAILED,
            CampaignStatus.CANCELED,
        }
    ),
    CampaignStatus.SCHEDULED: frozenset(
        {CampaignStatus.SENDING, CampaignStatus.FAILED, CampaignStatus.CANCELED}
    ),
    CampaignStatus.SENDING: frozenset(
        {
            CampaignStatus.SENT,
            CampaignStatus.SENT_WITH_FAILURES,
            CampaignStatus.FAILED,
            CampaignStatus.CANCELED,
        }
    ),
    CampaignStatus.SENT: frozenset(),
    CampaignStatus.SENT_WITH_FAILURES: frozenset(),
    CampaignStatus.FAILED: frozenset(),
    CampaignStatus.CANCELED: frozenset(),
}


class ImportStatus(models.TextChoices):
    NONE = "none", _("No background import")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Import failed")


class Campaign(models.Model):
    Status = CampaignStatus
    ImportStatus = ImportStatus

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        BULK = "bulk", _("Bulk")

    class Routing(models.TextChoices):
        FLOW = "flow", _("Flow block")
        TEAM = "team", _("Desk team")
        ATTENDANT = "attendant", _("Attendant")

    class Fallback(models.TextChoices):
        WAIT = "wait", _("Wait for the attendant")
        TEAM = "team", _("After some minutes, hand it to the attendant's team")

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("audience"), max_length=10, choices=Kind.choices)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'Individual: {"body": [values], "header": url, "button": value}. '
            'Bulk: the same keys naming CSV columns, e.g. {"body": ["nome"]}.'
        ),
    )
    routing = models.CharField(_("reply routing"), max_length=10, choices=Routing.choices)
    routing_bot = models.ForeignKey(
        Bot,
        verbose_name=_("routing (sub-)bot"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The bot itself, or the chosen sub-bot under a router."),
    )
    flow_block = models.ForeignKey(
        FlowBlock,
        verbose_name=_("block"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Flow routing: the target block. Attendant routing: the human block."),
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True
    )
    attendant_email = models.EmailField(_("attendant e-mail"), blank=True)
    attendant = models.ForeignKey(
        Attendant,
        verbose_name=_("attendant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Resolved from the e-mail when the campaign is validated."),
    )
    absent_attendant = models.ForeignKey(
        Attendant,
        verbose_name=_("absent attendant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Chosen by e-mail but absent at send: the substitute receives it (R23)."),
    )
    fallback = models.CharField(
        _("if the attendant cannot take the reply"),
        max_length=4,
        choices=Fallback.choices,
        default=Fallback.WAIT,
    )
    fallback_minutes = models.PositiveIntegerField(
        _("minutes before the hand-over"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(FALLBACK_MAX_MINUTES)],
    )
    audience_file = models.FileField(_("audience file"), upload_to="audiences/%Y/%m/", blank=True)
    audience_size = models.PositiveIntegerField(_("audience size"), default=0)
    skipped_rows = models.PositiveIntegerField(_("skipped rows"), default=0)
    opted_out_count = models.PositiveIntegerField(_("opted-out contacts excluded"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    # A large CSV is imported by a Celery task after the wizard returns (campaigns/importing.py);
    # these fields let the detail page show how far it got.
    import_status = models.CharField(
        _("audience import"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.NONE
    )
    import_rows_done = models.PositiveIntegerField(_("rows imported"), default=0)
    import_rows_total = models.PositiveIntegerField(_("rows to import"), default=0)
    import_error = models.CharField(_("import error"), max_length=300, blank=True)
    # The import's heartbeat (start, every progress report) and tries: a sweep resumes an import
    # whose task was lost (campaigns/import_sweep.py).
    import_heartbeat_at = models.DateTimeField(_("import last seen working"), null=True, blank=True)
    import_attempts = models.PositiveSmallIntegerField(_("import attempts"), default=0)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    lateness_seconds = models.PositiveIntegerField(
        _("lateness (s)"),
        null=True,
        blank=True,
        help_text=_("How long after its scheduled time the campaign was dispatched."),
    )
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="campaign_due"),
            # A bot's list, newest first: one bot's campaigns among every tenant's.
            models.Index(fields=["bot", "-created_at", "-id"], name="campaign_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CampaignStatus.values),
                name="campaign_status_valid",
                violation_error_message=_("Unknown campaign status."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["individual", "bulk"]),
                name="campaign_kind_valid",
                violation_error_message=_("Unknown audience kind."),
            ),
            models.CheckConstraint(
                condition=Q(routing__in=["flow", "team", "attendant"]),
                name="campaign_routing_valid",
                violation_error_message=_("Unknown reply routing."),
            ),
            models.CheckConstraint(
                condition=~Q(routing="attendant", kind="bulk"),
                name="campaign_R6_attendant_individual_only",
                violation_error_message=_(
                    "Routing to an attendant is only for individual sends (R6)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(fallback="wait", fallback_minutes__isnull=True)
                | Q(fallback="team", routing="attendant", fallback_minutes__gte=1),
                name="campaign_R22_fallback_valid",
                violation_error_message=_(
                    "Handing the reply to the team needs attendant routing and the minutes (R22)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled", scheduled_at__isnull=True),
                name="campaign_scheduled_has_time",
                violation_error_message=_("A scheduled campaign needs its date and time."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in CAMPAIGN_TRANSITIONS.get(old, frozenset())

    @property
    def is_final(self) -> bool:
        return not CAMPAIGN_TRANSITIONS.get(self.status)

    def routing_summary(
        self, *, block_name: str | None = None, team_name: str | None = None
    ) -> str:
        """Where a reply goes, in one line: the routing, the sub-bot, then the flow block, the
        team or the attendant. The list passes the block's and team's names it read with its
        query (selectors.campaign_list); a campaign's page reads them from its joined rows."""
        if block_name is None and self.flow_block_id is not None:
            block_name = self.flow_block.name
        if team_name is None and self.team_id is not None:
            team_name = self.team.name
        parts = [label_of(self.Routing, self.routing)]
        if self.routing_bot.is_sub_bot:
            parts.append(self.routing_bot.name)
        if self.routing == self.Routing.FLOW and self.flow_block_id is not None:
            parts.append(block_name)
        elif self.routing == self.Routing.TEAM and self.team_id is not None:
            parts.append(team_name)
        elif self.routing == self.Routing.ATTENDANT:
            if self.flow_block_id is not None:
                parts.append(block_name)
            parts.append(str(self.attendant_email))
        return " · ".join(parts)

    def clean(self) -> None:
        errors = {}
        if self.bot_id and self.bot.is_sub_bot:
            errors["bot"] = ValidationError(
                _("Campaigns are sent from the router, not from a sub-bot."),
                code="campaign_on_sub_bot",
            )
        errors.update(
            same_bot_errors(self.bot_id, template=self.template if self.template_id else None)
        )
        if self.routing_bot_id and self.bot_id and self.routing_bot.top_level.pk != self.bot_id:
            errors["routing_bot"] = ValidationError(
                _("The routing bot must be this bot or one of its sub-bots."),
                code="routing_bot_other",
            )
        if self.kind == self.Kind.INDIVIDUAL and self.template_id:
            try:
                self.template.check_parameters(self.parameters or {})
            except ValidationError as error:
                errors["parameters"] = error
        if errors:
            raise ValidationError(errors)
