"""Desk models, one module per capability; import them from here."""

from desk.models.directives import ReplyDirective
from desk.models.optout import DEFAULT_OPT_OUT_KEYWORDS, OptOutSettings
from desk.models.rules import AttendanceRule, RuleCondition
from desk.models.teams import DEFAULT_TEAM_NAME, Attendant, Team, TeamMembership
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
    "DEFAULT_OPT_OUT_KEYWORDS",
    "DEFAULT_TEAM_NAME",
    "TICKET_TRANSITIONS",
    "AttendanceRule",
    "Attendant",
    "InboundRouting",
    "OptOutSettings",
    "ReplyDirective",
    "RuleCondition",
    "Team",
    "TeamMembership",
    "Ticket",
    "TicketMessage",
    "TicketSequence",
    "TicketStatus",
]
