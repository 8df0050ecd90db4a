"""Bots, routers and sub-bots, their flow blocks, contacts and the channel's message log."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.checks import same_bot_errors

HUMAN_BLOCK_PREFIX = "desk:"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def mask_secret(value: str) -> str:
    """Show just enough of a secret to tell two apart, never the secret itself."""
    if not value:
        return "—"
    return f"{value[:4]}…{'•' * 8}" if len(value) > 8 else "•" * 8


class MessagingTier(models.TextChoices):
    """WhatsApp's messaging limit of a number: unique contacts it may message per rolling 24 h."""

    TIER_250 = "250", _("250 contacts per 24 hours")
    TIER_2K = "2000", _("2,000 contacts per 24 hours")
    TIER_10K = "10000", _("10,000 contacts per 24 hours")
    TIER_100K = "100000", _("100,000 contacts per 24 hours")
    UNLIMITED = "unlimited", _("Unlimited")


class QualityRating(models.TextChoices):
    """Meta's rating of the number's recent messages; a low one may lower its tier."""

    UNKNOWN = "unknown", _("Not rated yet")
    GREEN = "green", _("High (green)")
    YELLOW = "yellow", _("Medium (yellow)")
    RED = "red", _("Low (red)")


class Bot(models.Model):
    class Kind(models.TextChoices):
        BOT = "bot", _("Bot")
        ROUTER = "router", _("Router")

    MessagingTier = MessagingTier
    QualityRating = QualityRating

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BOT)
    router = models.ForeignKey(
        "self",
        verbose_name=_("router"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sub_bots",
        help_text=_("Set for a sub-bot (chatbot atrelado): the router it serves."),
    )
    service_name = models.CharField(_("service name"), max_length=64, blank=True)
    is_main_service = models.BooleanField(_("main service"), default=False)
    uses_router_context = models.BooleanField(_("uses router context"), default=False)
    whatsapp_number = models.CharField(
        _("WhatsApp number"),
        max_length=20,
        blank=True,
        help_text=_("E.164 number of the WhatsApp connection; empty when not connected."),
    )
    desk_enabled = models.BooleanField(_("Desk enabled"), default=False)
    blip_flow_id = models.CharField(
        _("Blip flow id"),
        max_length=64,
        blank=True,
        help_text=_("Flow identifier used to move a contact's state to a block."),
    )
    blip_address = models.CharField(
        _("Blip address"), max_length=120, blank=True, help_text=_("e.g. vendas@msging.net")
    )
    webhook_secret = models.CharField(
        _("webhook secret"), max_length=64, default=new_webhook_secret, editable=False
    )
    blip_api_key = models.CharField(_("Blip API key"), max_length=200, blank=True)
    rate_limit_per_second = models.PositiveIntegerField(
        _("messages per second"),
        default=100,
        help_text=_("Upper bound on active messages sent per second across all workers."),
    )
    # R26: a new WhatsApp number starts at the lowest tier; Meta raises it as the number sends.
    messaging_tier = models.CharField(
        _("WhatsApp messaging tier"),
        max_length=10,
        choices=MessagingTier.choices,
        default=MessagingTier.TIER_250,
        help_text=_(
            "Unique contacts this number may send active messages to in any 24 hours, as "
            "WhatsApp Manager shows it. Sends beyond it wait for the window instead of failing."
        ),
    )
    quality_rating = models.CharField(
        _("WhatsApp quality rating"),
        max_length=10,
        choices=QualityRating.choices,
        default=QualityRating.UNKNOWN,
        help_text=_("As WhatsApp Manager shows it; a low rating may lower the tier."),
    )
    # Raised whenever settings that processes cache per top-level bot change (the Desk's rules,
    # teams and opt-out policy): a cache keyed on it is never stale, in any process.
    cache_version = models.PositiveIntegerField(_("cache version"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bot")
        verbose_name_plural = _("bots")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["bot", "router"]),
                name="bot_kind_valid",
                violation_error_message=_("Unknown bot kind."),
            ),
            models.CheckConstraint(
                condition=Q(messaging_tier__in=MessagingTier.values),
                name="bot_messaging_tier_valid",
                violation_error_message=_("Unknown messaging tier."),
            ),
            models.CheckConstraint(
                condition=Q(quality_rating__in=QualityRating.values),
                name="bot_quality_rating_valid",
                violation_error_message=_("Unknown quality rating."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="router", router__isnull=False),
                name="bot_router_has_no_parent",
                violation_error_message=_("A router cannot be the sub-bot of another router."),
            ),
            models.CheckConstraint(
                condition=Q(router__isnull=True) | ~Q(service_name=""),
                name="bot_sub_bot_has_service_name",
                violation_error_message=_("A sub-bot needs a service name."),
            ),
            models.CheckConstraint(
                condition=Q(router__isnull=True) | Q(whatsapp_number=""),
                name="bot_sub_bot_has_no_channel",
                violation_error_message=_(
                    "A sub-bot has no WhatsApp connection of its own: connect the router."
                ),
            ),
            models.CheckConstraint(
                condition=Q(router__isnull=False) | Q(is_main_service=False),
                name="bot_main_service_is_sub_bot",
                violation_error_message=_("Only a sub-bot can be the main service."),
            ),
            models.UniqueConstraint(
                fields=["router"],
                condition=Q(is_main_service=True),
                name="bot_one_main_service_per_router",
                violation_error_message=_("This router already has a main service."),
            ),
            models.UniqueConstraint(
                fields=["router", "service_name"],
                condition=Q(router__isnull=False),
                name="bot_service_name_unique_per_router",
                violation_error_message=_("This router already has a service with this name."),
            ),
        ]

    def __str__(self) -> str:
        # As people call it, never by slug: "Loja", or "Demo Router › Vendas" for a sub-bot.
        # Lists of bots load the router with them (``select_related("router")``).
        if self.router_id:
            return f"{self.router.name} › {self.name}"
        return self.name

    @property
    def is_router(self) -> bool:
        return self.kind == self.Kind.ROUTER

    @property
    def is_sub_bot(self) -> bool:
        return self.router_id is not None

    @property
    def top_level(self) -> "Bot":
        """The bot that owns the channel and the contacts: the router for a sub-bot."""
        return self.router if self.router_id else self

    @property
    def messaging_limit(self) -> int | None:
        """Unique contacts per rolling 24 h (R26) of the channel's owner; None: unlimited."""
        tier = self.top_level.messaging_tier
        return None if tier == MessagingTier.UNLIMITED else int(tier)

    @property
    def is_connected_to_whatsapp(self) -> bool:
        return bool(self.top_level.whatsapp_number)

    @property
    def masked_webhook_secret(self) -> str:
        return mask_secret(self.webhook_secret)

    @property
    def masked_api_key(self) -> str:
        return mask_secret(self.blip_api_key)

    def clean(self) -> None:
        errors = {}
        if self.router_id:
            router = self.router
            if router.kind != self.Kind.ROUTER:
                errors["router"] = ValidationError(
                    _("The parent of a sub-bot must be a router."), code="parent_not_router"
                )
            if self.kind == self.Kind.ROUTER:
                errors["kind"] = ValidationError(
                    _("A router cannot be the sub-bot of another router."),
                    code="router_with_parent",
                )
        elif self.service_name or self.is_main_service or self.uses_router_context:
            errors["router"] = ValidationError(
                _("Service name, main service and router context only apply to sub-bots."),
                code="sub_bot_fields_without_router",
            )
        if self.whatsapp_number and not self.whatsapp_number.startswith("+"):
            errors["whatsapp_number"] = ValidationError(
                _("Use the international format, e.g. +5511999998888."), code="phone_not_e164"
            )
        if errors:
            raise ValidationError(errors)


class FlowBlock(models.Model):
    class Kind(models.TextChoices):
        STANDARD = "standard", _("Standard")
        HUMAN = "human", _("Human attendance")

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="blocks"
    )
    block_id = models.CharField(_("block id"), max_length=120)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, editable=False)

    class Meta:
        verbose_name = _("flow block")
        verbose_name_plural = _("flow blocks")
        ordering = ["bot", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "block_id"],
                name="flowblock_unique_id_per_bot",
                violation_error_message=_("This bot already has a block with this id."),
            ),
            models.CheckConstraint(
                condition=Q(kind="human", block_id__startswith=HUMAN_BLOCK_PREFIX)
                | (Q(kind="standard") & ~Q(block_id__startswith=HUMAN_BLOCK_PREFIX)),
                name="flowblock_kind_matches_id",
                violation_error_message=_("Human-attendance block ids start with 'desk:'."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.block_id}]"

    def save(self, *args, **kwargs) -> None:
        # The kind follows from the id, as in Blip: there is no way for the two to disagree.
        self.kind = (
            self.Kind.HUMAN if self.block_id.startswith(HUMAN_BLOCK_PREFIX) else self.Kind.STANDARD
        )
        super().save(*args, **kwargs)

    @property
    def is_human(self) -> bool:
        return self.kind == self.Kind.HUMAN

    def clean(self) -> None:
        self.kind = (
            self.Kind.HUMAN if self.block_id.startswith(HUMAN_BLOCK_PREFIX) else self.Kind.STANDARD
        )
        if self.bot_id and self.bot.is_router:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("A router has no flow of its own: add blocks to its sub-bots."),
                        code="router_has_no_blocks",
                    )
                }
            )


class OptOutSource(models.TextChoices):
    KEYWORD = "keyword", _("Reply with an opt-out keyword")
    BUTTON = "button", _("The opt-out button")
    OPERATOR = "operator", _("An operator")


class Contact(models.Model):
    bot = models.ForeignKey(  # indexed by the (bot, phone) unique constraint, which leads with it
        Bot,
        verbose_name=_("bot"),
        on_delete=models.CASCADE,
        related_name="contacts",
        db_index=False,
    )
    phone = models.CharField(_("phone"), max_length=20)
    # What Blip's account lookup returned for the phone, or the node a reply came from (R18):
    # "551187654321@wa.gw.msging.net" may be the WhatsApp account of +55 11 98765-4321.
    whatsapp_identity = models.CharField(
        _("WhatsApp identity"), max_length=120, blank=True, default=""
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    extras = models.JSONField(_("extras"), default=dict, blank=True)
    opted_out = models.BooleanField(_("opted out"), default=False)
    # R20: when and how the person asked to stop (a keyword, the opt-out button, an operator).
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    opt_out_source = models.CharField(
        _("opted out by"), max_length=10, choices=OptOutSource.choices, blank=True
    )
    last_inbound_at = models.DateTimeField(
        _("last message from the contact"), null=True, blank=True
    )
    # R26: the contact counts in the bot's messaging window for 24 hours after this.
    last_active_message_at = models.DateTimeField(
        _("last active message"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["bot", "phone"]
        indexes = [
            models.Index(fields=["bot", "last_active_message_at"], name="contact_messaging_window"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "phone"],
                name="contact_phone_unique_per_bot",
                violation_error_message=_("This bot already has a contact with this phone."),
            ),
            models.UniqueConstraint(
                fields=["bot", "whatsapp_identity"],
                condition=~Q(whatsapp_identity=""),
                name="contact_identity_unique_per_bot",
                violation_error_message=_(
                    "This bot already has a contact with this WhatsApp identity."
                ),
            ),
            models.CheckConstraint(
                condition=Q(opt_out_source__in=["", *OptOutSource.values]),
                name="contact_opt_out_source_valid",
                violation_error_message=_("Unknown opt-out source."),
            ),
            models.CheckConstraint(
                condition=Q(phone__startswith="+"),
                name="contact_phone_e164",
                violation_error_message=_("The phone must be in E.164 format (+5511999998888)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.phone}".strip() if self.name else self.phone

    def clean(self) -> None:
        if self.bot_id and self.bot.is_sub_bot:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("Contacts belong to the router, not to its sub-bots."),
                        code="contact_on_sub_bot",
                    )
                }
            )
        if not isinstance(self.extras, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.extras.items()
        ):
            raise ValidationError(
                {
                    "extras": ValidationError(
                        _("Extras are a map of text keys to text values."),
                        code="extras_not_string_map",
                    )
                }
            )


class ContactState(models.Model):
    """Where the contact's next message goes: Blip's master-state (bot) and stateid (block)."""

    contact = models.OneToOneField(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="state"
    )
    bot = models.ForeignKey(Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="+")
    block = models.ForeignKey(
        FlowBlock,
        verbose_name=_("block"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact state")
        verbose_name_plural = _("contact states")

    def __str__(self) -> str:
        return f"{self.contact} → {self.bot} / {self.block or '-'}"

    def clean(self) -> None:
        if errors := same_bot_errors(self.bot_id, block=self.block if self.block_id else None):
            raise ValidationError(errors)


class Message(models.Model):
    """Every message on the channel, in and out: the conversation history and the outbox."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("From the contact")
        OUTBOUND = "out", _("To the contact")

    class Kind(models.TextChoices):
        # What the contact or the business sent; bots.content reads them from LIME content.
        TEXT = "text", _("Text")
        TEMPLATE = "template", _("Template")
        MEDIA = "media", _("Media")
        LOCATION = "location", _("Location")
        CONTACT = "contact", _("Contact card")
        REPLY = "reply", _("Button reply")
        LINK = "link", _("Link")
        REACTION = "reaction", _("Reaction")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")
        RECEIVED = "received", _("Received")

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="messages"
    )
    contact = models.ForeignKey(  # indexed by message_contact_time, which leads with it
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(_("text"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    gateway_message_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["contact", "created_at"], name="message_contact_time"),
            models.Index(fields=["gateway_message_id"], name="message_gateway_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["in", "out"]),
                name="message_direction_valid",
                violation_error_message=_("Unknown message direction."),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["pending", "sent", "delivered", "read", "failed", "received"]
                ),
                name="message_status_valid",
                violation_error_message=_("Unknown message status."),
            ),
        ]

    def __str__(self) -> str:
        arrow = "←" if self.direction == self.Direction.INBOUND else "→"
        return f"{arrow} {self.contact}: {self.text[:40]}"


class ProcessedEnvelope(models.Model):
    """Envelope ids already handled, so that a webhook redelivered by Blip is a no-op."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        NOTIFICATION = "notification", _("Notification")

    bot = models.ForeignKey(Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    envelope_id = models.CharField(_("envelope id"), max_length=200)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("processed envelope")
        verbose_name_plural = _("processed envelopes")
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "kind", "envelope_id"],
                name="envelope_unique_per_bot_kind",
                violation_error_message=_("This envelope was already processed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.envelope_id}"


class BotMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        OPERATOR = "operator", _("Operator")
        ATTENDANT = "attendant", _("Attendant")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="bot_memberships",
    )
    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("bot membership")
        verbose_name_plural = _("bot memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "bot"],
                name="membership_unique_user_bot",
                violation_error_message=_("This user is already a member of this bot."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "operator", "attendant"]),
                name="membership_role_valid",
                violation_error_message=_("Unknown role."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.bot} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.bot_id and self.bot.is_sub_bot:
            raise ValidationError(
                {
                    "bot": ValidationError(
                        _("Grant access on the router: its sub-bots come with it."),
                        code="membership_on_sub_bot",
                    )
                }
            )
