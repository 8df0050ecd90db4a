"""Where an inbound contact message goes, and why.

One pure function over plain data: the caller loads the rows (open ticket, latest directive,
contact state, active rules in priority order), passes ``now`` and applies the decision. Keeping
the ORM and the clock out lets the precedence of R10-R13 be tested as a table without a database.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

SOURCES = frozenset({"last_message", "name", "email", "extra"})
RELATIONS = frozenset({"contains", "not_contains", "equals", "not_equals"})
OPERATORS = frozenset({"and", "or"})
_NEGATED = {"not_contains": "contains", "not_equals": "equals"}


class Target(StrEnum):
    EXISTING_TICKET = "existing_ticket"
    ATTENDANT = "attendant"
    TEAM = "team"
    FLOW_BLOCK = "flow_block"
    OPT_OUT = "opt_out"  # R20: the message opted the contact out; it goes nowhere else


class ReasonCode(StrEnum):
    """Stored with tickets and shown by ``receive_message``: values never change."""

    OPEN_TICKET = "open_ticket"
    DIRECTIVE = "directive"
    RULE = "rule"
    DEFAULT_TEAM = "default_team"
    NO_DEFAULT_TEAM = "no_default_team"
    FLOW_BLOCK = "flow_block"
    OPT_OUT = "opt_out"


@dataclass(frozen=True)
class ConditionData:
    source: str
    relation: str
    values: tuple[str, ...]
    extra_key: str = ""

    def __post_init__(self) -> None:
        if self.source not in SOURCES or self.relation not in RELATIONS:
            raise ValueError(f"unknown condition {self.source!r} {self.relation!r}")


@dataclass(frozen=True)
class RuleData:
    id: int
    name: str
    team_id: int
    team_name: str
    operator: str
    conditions: tuple[ConditionData, ...]

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(f"unknown rule operator {self.operator!r}")


@dataclass(frozen=True)
class DirectiveData:
    """A send's routing for the next reply; ``source_label`` is the campaign name.

    Flow-block routing leaves no directive here: the send moves the contact state instead.
    """

    id: int
    valid_until: datetime
    source_label: str
    attendant_id: int | None = None
    attendant_email: str = ""
    team_id: int | None = None
    team_name: str = ""
    fallback_minutes: int | None = None  # R22: hand the ticket to the team after N minutes
    meant_for_email: str = ""  # R23: the absent attendant the substitute stands in for

    def __post_init__(self) -> None:
        if (self.attendant_id is None) == (self.team_id is None):
            raise ValueError("a directive names exactly one of attendant or team")


@dataclass(frozen=True)
class InboundContext:
    now: datetime
    text: str
    contact_name: str
    contact_email: str
    extras: Mapping[str, str]
    open_ticket_id: int | None
    directive: DirectiveData | None
    state_block_id: str | None
    state_block_is_human: bool
    rules: tuple[RuleData, ...]
    default_team_id: int | None
    opt_out: bool = False  # the message asks to stop the bot's campaigns (R20)


@dataclass(frozen=True)
class Decision:
    target: Target
    reason_code: str
    reason_params: dict[str, Any]  # JSON-safe, so the caller can store it on the ticket
    ticket_id: int | None = None
    attendant_id: int | None = None
    team_id: int | None = None
    block_id: str | None = None
    directive_id: int | None = None
    rule_id: int | None = None
    fallback_minutes: int | None = None

    @property
    def reason(self) -> str:
        render = _REASONS.get(self.reason_code)
        return render(self.reason_params) if render else str(self.reason_code)


def decide(ctx: InboundContext) -> Decision:
    """Route one inbound message: open ticket, then live directive, then rules, then flow.

    An opt-out (R20) joins an open ticket, so its attendant reads it, and otherwise goes nowhere:
    nobody is handed a conversation that asked to end, and the directive stays as it was.
    """
    if ctx.open_ticket_id is not None:
        params = {"ticket_id": ctx.open_ticket_id}
        return Decision(
            Target.EXISTING_TICKET, ReasonCode.OPEN_TICKET, params, ticket_id=ctx.open_ticket_id
        )
    if ctx.opt_out:
        return Decision(Target.OPT_OUT, ReasonCode.OPT_OUT, {})
    # Strict: at exactly valid_until the 24 h window (R11) has closed.
    if ctx.directive is not None and ctx.now < ctx.directive.valid_until:
        return _follow_directive(ctx.directive)
    if ctx.state_block_is_human:
        return _apply_rules(ctx)
    params = {"block_id": ctx.state_block_id}
    return Decision(Target.FLOW_BLOCK, ReasonCode.FLOW_BLOCK, params, block_id=ctx.state_block_id)


def _follow_directive(directive: DirectiveData) -> Decision:
    params: dict[str, Any] = {
        "directive_id": directive.id,
        "source_label": directive.source_label,
        "valid_until": directive.valid_until.isoformat(),
    }
    if directive.attendant_id is not None:
        params["attendant_email"] = directive.attendant_email
        if directive.meant_for_email:
            params["meant_for"] = directive.meant_for_email
        if directive.fallback_minutes:
            params["fallback_minutes"] = directive.fallback_minutes
    else:
        params["team_name"] = directive.team_name
    target = Target.TEAM if directive.attendant_id is None else Target.ATTENDANT
    return Decision(
        target,
        ReasonCode.DIRECTIVE,
        params,
        attendant_id=directive.attendant_id,
        team_id=directive.team_id,
        directive_id=directive.id,
        fallback_minutes=directive.fallback_minutes if directive.attendant_id else None,
    )


def _apply_rules(ctx: InboundContext) -> Decision:
    for rule in ctx.rules:
        matches = _rule_matches(rule, ctx)
        if matches:
            params = {
                "rule_id": rule.id,
                "rule_name": rule.name,
                "team_name": rule.team_name,
                "matches": matches,
            }
            return Decision(
                Target.TEAM, ReasonCode.RULE, params, team_id=rule.team_id, rule_id=rule.id
            )
    if ctx.default_team_id is None:
        return Decision(Target.TEAM, ReasonCode.NO_DEFAULT_TEAM, {})
    params = {"team_id": ctx.default_team_id}
    return Decision(Target.TEAM, ReasonCode.DEFAULT_TEAM, params, team_id=ctx.default_team_id)


def _rule_matches(rule: RuleData, ctx: InboundContext) -> list[dict[str, Any]]:
    """The conditions that made the rule match, or ``[]`` when it does not."""
    found = [m for c in rule.conditions if (m := _condition_match(c, ctx)) is not None]
    if rule.operator == "or":
        return found[:1]
    # Not all(): all([]) is True, and a rule without conditions must not catch every message.
    return found if len(found) == len(rule.conditions) else []


def _condition_match(condition: ConditionData, ctx: InboundContext) -> dict[str, Any] | None:
    values = [v.strip() for v in condition.values if v.strip()]
    negated = condition.relation in _NEGATED
    base = _NEGATED.get(condition.relation, condition.relation)
    actual = _fold(_source_value(condition, ctx))
    hits = [v for v in values if (_fold(v) in actual if base == "contains" else _fold(v) == actual)]
    # Negated relations match when no value hits; both need at least one non-empty value.
    if not values or bool(hits) == negated:
        return None
    field = f"extras.{condition.extra_key}" if condition.source == "extra" else condition.source
    return {
        "field": field,
        "relation": condition.relation,
        "values": values if negated else hits[:1],
    }


def _fold(text: str) -> str:
    # NFC first: a decomposed "ã" typed on some phones must still equal the rule's "ã",
    # while "ã" and "a" stay different (rules are accent-sensitive).
    return unicodedata.normalize("NFC", text.strip()).casefold()


def _source_value(condition: ConditionData, ctx: InboundContext) -> str:
    if condition.source == "extra":
        return ctx.extras.get(condition.extra_key) or ""
    by_source = {"last_message": ctx.text, "name": ctx.contact_name, "email": ctx.contact_email}
    return by_source[condition.source] or ""


_PHRASES = {
    "equals": "{field} = {values}",
    "contains": "{field} contains {values}",
    "not_equals": "{field} is none of {values}",
    "not_contains": "{field} contains none of {values}",
}


def _directive_reason(params: dict[str, Any]) -> str:
    until = datetime.fromisoformat(params["valid_until"]).astimezone(UTC)
    reason = (
        f"directive of campaign '{params['source_label']}' valid until {until:%Y-%m-%d %H:%M} UTC"
    )
    if params.get("meant_for"):
        reason += f" (substitute for {params['meant_for']}, absent)"
    return reason


def _rule_reason(params: dict[str, Any]) -> str:
    conditions = " and ".join(
        _PHRASES[m["relation"]].format(field=m["field"], values=", ".join(m["values"]))
        for m in params["matches"]
    )
    return f"rule '{params['rule_name']}' matched {conditions}"


def _flow_reason(params: dict[str, Any]) -> str:
    block_id = params["block_id"]
    return f"flow block '{block_id}'" if block_id else "flow start (no saved contact state)"


_REASONS = {
    ReasonCode.OPEN_TICKET: lambda p: f"open ticket #{p['ticket_id']}",
    ReasonCode.DIRECTIVE: _directive_reason,
    ReasonCode.RULE: _rule_reason,
    ReasonCode.DEFAULT_TEAM: lambda p: "no rule matched → Default",
    ReasonCode.NO_DEFAULT_TEAM: lambda p: "no rule matched and the bot has no Default team",
    ReasonCode.FLOW_BLOCK: _flow_reason,
    ReasonCode.OPT_OUT: lambda p: "the contact opted out of campaigns: no ticket, no flow",
}
