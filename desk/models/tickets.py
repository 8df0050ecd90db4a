"""Tickets: one human attendance each, with its messages and how it was routed."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bots.checks import same_bot_errors
from bots.models import Bot, Contact, FlowBlock, Message
from desk.models.closing import ClosingTag
from desk.models.directives import ReplyDirective
from desk.models.teams import Attendant, Team


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OPEN = "open", _("Open")
    CLOSED_BY_ATTENDANT = "closed_attendant", _("Closed by the attendant")
    CLOSED_BY_CLIENT = "closed_client", _("Closed by client inactivity")
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
        FALLBACK = "fallback", _("Hand-over to the team (R22)")

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
    meant_for = models.ForeignKey(
        Attendant,
        verbose_name=_("meant for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The attendant the campaign chose, when the ticket went elsewhere (R22, R23)."),
    )
    fallback_at = models.DateTimeField(
        _("hand over to the team at"),
        null=True,
        blank=True,
        help_text=_("A directed ticket still waiting then goes to the attendant's team (R22)."),
    )
    on_hold = models.BooleanField(
        _("on hold"), default=False, help_text=_("Exempt from the inactivity timers (R24).")
    )
    # The inactivity clocks (R24), kept by the inbound pipeline and the attendant's replies:
    # the customer is silent since the attendant's last message, or waits for an answer since.
    customer_silent_since = models.DateTimeField(_("customer silent since"), null=True, blank=True)
    inactivity_warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    awaiting_reply_since = models.DateTimeField(
        _("waiting for an answer since"), null=True, blank=True
    )
    unanswered_flagged_at = models.DateTimeField(_("flagged unanswered at"), null=True, blank=True)
    tags = models.ManyToManyField(
        ClosingTag, verbose_name=_("closing tags"), blank=True, related_name="tickets"
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
            # The queue an attendant may take (directed to them or to their teams), oldest
            # first: without it the created_at index walks every closed ticket to find them.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="waiting"),
                name="ticket_waiting_by_age",
            ),
            # The timers look at few rows: directed tickets with a hand-over, open tickets.
            models.Index(
                fields=["fallback_at"],
                condition=Q(status="waiting", fallback_at__isnull=False),
                name="ticket_fallback_due",
            ),
            models.Index(fields=["bot"], condition=Q(status="open"), name="ticket_open_by_bot"),
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
        errors = same_bot_errors(
            self.bot_id,
            team=self.team if self.team_id else None,
            attendant=self.attendant,
            requested_attendant=self.requested_attendant,
            meant_for=self.meant_for,
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
    # When the message's after-commit effects ran (desk.inbound_effects); empty until then, so a
    # task lost in a crash is found and run again.
    effects_at = models.DateTimeField(_("effects run at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(effects_at__isnull=True),
                name="routing_effects_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.reason}"
