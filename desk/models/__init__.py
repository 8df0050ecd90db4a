"""Desk models, one module per capability; import them from here."""

from desk.models.closing import QUICK_REPLY_VARIABLE, ClosingTag, QuickReply, TicketNote
from desk.models.config import DeskSettings
from desk.models.directives import ReplyDirective
from desk.models.optout import DEFAULT_OPT_OUT_KEYWORDS, OptOutSettings
from desk.models.presence import AttendantAbsence, AttendantStatusChange, PauseReason
from desk.models.rules import AttendanceRule, RuleCondition
from desk.models.teams import (
    ATTENDANT_TRANSITIONS,
    DEFAULT_TEAM_NAME,
    Attendant,
    AttendantStatus,
    Team,
    TeamMembership,
)
from desk.models.tickets import (
    ACTIVE_TICKET_STATUSES,
    TICKET_TRANSITIONS,
    InboundRouting,
    Ticket,
    TicketMessage,
    TicketSequence,
    TicketStatus,
)

__all__ = [
    "ACTIVE_TICKET_STATUSES",
    "ATTENDANT_TRANSITIONS",
    "DEFAULT_OPT_OUT_KEYWORDS",
    "DEFAULT_TEAM_NAME",
    "QUICK_REPLY_VARIABLE",
    "TICKET_TRANSITIONS",
    "AttendanceRule",
    "Attendant",
    "AttendantAbsence",
    "AttendantStatus",
    "AttendantStatusChange",
    "ClosingTag",
    "DeskSettings",
    "InboundRouting",
    "OptOutSettings",
    "PauseReason",
    "QuickReply",
    "ReplyDirective",
    "RuleCondition",
    "Team",
    "TeamMembership",
    "Ticket",
    "TicketMessage",
    "TicketNote",
    "TicketSequence",
    "TicketStatus",
]
