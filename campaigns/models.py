"""Message templates, campaigns and their recipients."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.models import Bot, Contact, FlowBlock
from desk.models import Attendant, Team

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
        if self.has_media_header and not parameters.get("header"):
            raise ValidationError(
                _("The template's media header needs a file address."),
                code="template_header_missing",
            )
        if self.url_button_index is not None and not parameters.get("button"):
            raise ValidationError(
                _("The template's URL button needs its variable."), code="template_button_missing"
            )


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
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_due")]
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

    def clean(self) -> None:
        errors = {}
        if self.bot_id and self.bot.is_sub_bot:
            errors["bot"] = ValidationError(
                _("Campaigns are sent from the router, not from a sub-bot."),
                code="campaign_on_sub_bot",
            )
        if self.template_id and self.bot_id and self.template.bot_id != self.bot_id:
            errors["template"] = ValidationError(
                _("The template belongs to another bot."), code="template_other_bot"
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

    def validate_for_send(self) -> None:
        """R5–R9 and the other send-time checks; raises ValidationError with a code per rule."""
        from campaigns.validation import validate_campaign_for_send

        validate_campaign_for_send(campaign=self)


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    REPLIED = "replied", _("Replied")
    FAILED = "failed", _("Failed")


# Progress only goes forward: a late "delivered" never turns Read back into Delivered.
RECIPIENT_RANK: dict[str, int] = {
    RecipientStatus.PENDING: 0,
    RecipientStatus.SENDING: 1,
    RecipientStatus.SENT: 2,
    RecipientStatus.DELIVERED: 3,
    RecipientStatus.READ: 4,
    RecipientStatus.REPLIED: 5,
}
RECIPIENT_TRANSITIONS: dict[str, frozenset[str]] = {
    RecipientStatus.PENDING: frozenset({RecipientStatus.SENDING, RecipientStatus.FAILED}),
    RecipientStatus.SENDING: frozenset({RecipientStatus.SENT, RecipientStatus.FAILED}),
    RecipientStatus.SENT: frozenset(
        {
            RecipientStatus.DELIVERED,
            RecipientStatus.READ,
            RecipientStatus.REPLIED,
            RecipientStatus.FAILED,
        }
    ),
    RecipientStatus.DELIVERED: frozenset({RecipientStatus.READ, RecipientStatus.REPLIED}),
    RecipientStatus.READ: frozenset({RecipientStatus.REPLIED}),
    RecipientStatus.REPLIED: frozenset(),
    # A failure with an unknown outcome is corrected when a delivery event proves the send.
    RecipientStatus.FAILED: frozenset(
        {
            RecipientStatus.SENT,
            RecipientStatus.DELIVERED,
            RecipientStatus.READ,
            RecipientStatus.REPLIED,
        }
    ),
}


class Recipient(models.Model):
    Status = RecipientStatus

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="recipients"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="recipients"
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    gateway_message_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    # Stable code of the failure (unknown_outcome, opted_out, gateway_permanent…): the progress
    # panel groups by it and tests assert it, while the reason keeps the gateway's own words.
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["campaign", "id"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="recipient_campaign_status"),
            models.Index(fields=["gateway_message_id"], name="recipient_gateway_id"),
            models.Index(fields=["contact", "sent_at"], name="recipient_contact_sent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                name="recipient_unique_per_campaign",
                violation_error_message=_("This contact is already in the campaign."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values),
                name="recipient_status_valid",
                violation_error_message=_("Unknown recipient status."),
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="recipient_failed_has_reason",
                violation_error_message=_("A failed recipient needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_status_display()})"

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in RECIPIENT_TRANSITIONS.get(old, frozenset())
