"""Desk: teams, attendants, attendance rules, tickets and the reply directives campaigns leave."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from bots.models import Bot, Contact, FlowBlock, Message

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


class Attendant(models.Model):
    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        PAUSE = "pause", _("Pause")
        INVISIBLE = "invisible", _("Invisible")
        OFFLINE = "offline", _("Offline")

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
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args, **kwargs) -> None:
        # E-mails are compared the way people expect: case does not matter.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

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
        if self.attendant_id and self.team_id and self.attendant.bot_id != self.team.bot_id:
            raise ValidationError(
                _("An attendant can only join teams of its own bot."), code="team_other_bot"
            )


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
        if self.bot_id and self.team_id and self.team.bot_id != self.bot_id:
            raise ValidationError(
                {
                    "team": ValidationError(
                        _("The team must belong to the rule's bot."), code="team_other_bot"
                    )
                }
            )


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


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OPEN = "open", _("Open")
    CLOSED_BY_ATTENDANT = "closed_attendant", _("Closed by the attendant")
    CLOSED_BY_CLIENT = "closed_client", _("Closed by the client")
    TRANSFERRED = "transferred", _("Transferred")


# The legal moves of a ticket: the only table any service consults before changing a status.
TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.WAITING: frozenset(
        {TicketStatus.OPEN, TicketStatus.TRANSFERRED, TicketStatus.CLOSED_BY_CLIENT}
    ),
    TicketStatus.OPEN: frozenset(
        {
            TicketStatus.CLOSED_BY_ATTENDANT,
            TicketStatus.CLOSED_BY_CLIENT,
            TicketStatus.TRANSFERRED,
        }
    ),
    TicketStatus.CLOSED_BY_ATTENDANT: frozenset(),
    TicketStatus.CLOSED_BY_CLIENT: frozenset(),
    TicketStatus.TRANSFERRED: frozenset(),
}
ACTIVE_TICKET_STATUSES = (TicketStatus.WAITING, TicketStatus.OPEN)


class Ticket(models.Model):
    Status = TicketStatus

    class RoutedBy(models.TextChoices):
        DIRECTIVE = "directive", _("Campaign directive")
        RULE = "rule", _("Attendance rule")
        DEFAULT = "default", _("Default team")
        TRANSFER = "transfer", _("Transfer")
        MANUAL = "manual", _("Manual")

    bot = models.ForeignKey(
        Bot, verbose_name=_("bot"), on_delete=models.CASCADE, related_name="tickets"
    )
    sequence = models.PositiveIntegerField(_("number"))
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="tickets"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="tickets"
    )
    requested_attendant = models.ForeignKey(
        Attendant,
        verbose_name=_("directed to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directed_tickets",
        help_text=_("Set when a campaign asked for this attendant: they get it first."),
    )
    attendant = models.ForeignKey(
        Attendant,
        verbose_name=_("attendant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    routed_by = models.CharField(_("routed by"), max_length=10, choices=RoutedBy.choices)
    routing_reason = models.CharField(_("routing reason"), max_length=300)
    # The reason as data, so each reader sees it in their own language and time zone.
    routing_code = models.CharField(_("routing reason code"), max_length=30, blank=True)
    routing_params = models.JSONField(_("routing reason details"), default=dict, blank=True)
    directive = models.ForeignKey(
        ReplyDirective,
        verbose_name=_("directive"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    transferred_to = models.OneToOneField(
        "self",
        verbose_name=_("transferred to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transferred_from",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["bot", "status", "created_at"], name="ticket_queue"),
            models.Index(fields=["requested_attendant", "status"], name="ticket_directed"),
            # The team queue and an attendant's open tickets stay small while closed tickets
            # pile up: partial indexes keep Attend a new customer independent of history.
            models.Index(
                fields=["team", "created_at"],
                condition=Q(status="waiting"),
                name="ticket_waiting_by_team",
            ),
            models.Index(
                fields=["attendant"], condition=Q(status="open"), name="ticket_open_by_attendant"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bot", "sequence"],
                name="ticket_sequence_unique_per_bot",
                violation_error_message=_("Ticket numbers are unique per bot."),
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(status__in=["waiting", "open"]),
                name="ticket_one_active_per_contact",
                violation_error_message=_("The contact already has an active ticket."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values),
                name="ticket_status_valid",
                violation_error_message=_("Unknown ticket status."),
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(attendant__isnull=False),
                name="ticket_open_has_attendant",
                violation_error_message=_("An open ticket has an attendant."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.contact}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_TICKET_STATUSES

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in TICKET_TRANSITIONS.get(old, frozenset())

    def clean(self) -> None:
        errors = {}
        if self.team_id and self.bot_id and self.team.bot_id != self.bot_id:
            errors["team"] = ValidationError(
                _("The team must belong to the ticket's bot."), code="team_other_bot"
            )
        for field in ("attendant", "requested_attendant"):
            person = getattr(self, field)
            if person is not None and person.bot_id != self.bot_id:
                errors[field] = ValidationError(
                    _("The attendant must belong to the ticket's bot."), code="attendant_other_bot"
                )
        if errors:
            raise ValidationError(errors)


class TicketSequence(models.Model):
    """Per-bot counter: an UPDATE … SET last = last + 1 hands out ticket numbers without gaps."""

    bot = models.OneToOneField(Bot, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket sequence")
        verbose_name_plural = _("ticket sequences")

    def __str__(self) -> str:
        return f"{self.bot}: {self.last}"


class TicketMessage(models.Model):
    """A message of the channel log that belongs to a ticket, with the attendant who wrote it."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ticket_messages"
    )
    message = models.OneToOneField(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="ticket_link"
    )
    attendant = models.ForeignKey(
        Attendant,
        verbose_name=_("attendant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["message__created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket.sequence}: {self.message}"


class InboundRouting(models.Model):
    """Where one inbound message went and why: the audit of every routing decision."""

    message = models.OneToOneField(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="routing"
    )
    target = models.CharField(_("target"), max_length=20)
    reason_code = models.CharField(_("reason code"), max_length=30)
    reason = models.CharField(_("reason"), max_length=300)
    reason_params = models.JSONField(_("reason details"), default=dict, blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.SET_NULL, null=True, blank=True
    )
    block = models.ForeignKey(
        FlowBlock,
        verbose_name=_("block"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.target}: {self.reason}"
