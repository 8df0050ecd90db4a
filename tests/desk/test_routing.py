"""Table tests for the pure reply-routing decision (no database, no clock)."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from desk.routing import (
    ConditionData,
    Decision,
    DirectiveData,
    InboundContext,
    ReasonCode,
    RuleData,
    Target,
    decide,
)

SENT_AT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
VALID_UNTIL = SENT_AT + timedelta(hours=24)
NOW = SENT_AT + timedelta(hours=1)
DEFAULT_TEAM = 1
VENDAS, SUPORTE = 2, 3
HUMAN_BLOCK = "desk:atendimento"
BRT = timezone(timedelta(hours=-3))  # an operator zone, to show reasons stay in UTC


def cond(source: str, relation: str, *values: str, key: str = "") -> ConditionData:
    return ConditionData(source=source, relation=relation, values=values, extra_key=key)


def rule(rule_id: int, *conditions: ConditionData, operator: str = "and", team: int = VENDAS):
    names = {VENDAS: "Vendas", SUPORTE: "Suporte"}
    return RuleData(
        id=rule_id,
        name=f"R{rule_id}",
        team_id=team,
        team_name=names[team],
        operator=operator,
        conditions=conditions,
    )


def team_directive(directive_id: int = 7, **overrides) -> DirectiveData:
    fields = {"valid_until": VALID_UNTIL, "source_label": "Black Friday"}
    return DirectiveData(
        id=directive_id, team_id=SUPORTE, team_name="Suporte", **fields | overrides
    )


def attendant_directive(directive_id: int = 8, **overrides) -> DirectiveData:
    fields = {"valid_until": VALID_UNTIL, "source_label": "Black Friday"}
    return DirectiveData(
        id=directive_id, attendant_id=42, attendant_email="ana@example.com", **fields | overrides
    )


def context(**overrides) -> InboundContext:
    """A human-attendance contact with no ticket, no directive and no rules, unless overridden."""
    fields = {
        "now": NOW,
        "text": "Quero comprar",
        "contact_name": "Ana Souza",
        "contact_email": "ana.souza@example.com",
        "extras": {"cidade": "BH"},
        "open_ticket_id": None,
        "directive": None,
        "state_block_id": HUMAN_BLOCK,
        "state_block_is_human": True,
        "rules": (),
        "default_team_id": DEFAULT_TEAM,
    }
    return InboundContext(**fields | overrides)


MATCHING_RULE = rule(1, cond("extra", "equals", "BH", key="cidade"))


# --- precedence --------------------------------------------------------------------------------

PRECEDENCE = [
    pytest.param(
        {"open_ticket_id": 12, "directive": attendant_directive(), "rules": (MATCHING_RULE,)},
        (Target.EXISTING_TICKET, ReasonCode.OPEN_TICKET, {"ticket_id": 12}),
        id="open_ticket_beats_directive_and_rules",
    ),
    pytest.param(
        {"open_ticket_id": 12, "state_block_is_human": False},
        (Target.EXISTING_TICKET, ReasonCode.OPEN_TICKET, {"ticket_id": 12}),
        id="open_ticket_beats_flow_state",
    ),
    pytest.param(
        {"directive": team_directive(), "rules": (MATCHING_RULE,)},
        (Target.TEAM, ReasonCode.DIRECTIVE, {"team_id": SUPORTE, "directive_id": 7}),
        id="R10_team_directive_beats_matching_rule",
    ),
    pytest.param(
        {"directive": attendant_directive(), "rules": (MATCHING_RULE,)},
        (Target.ATTENDANT, ReasonCode.DIRECTIVE, {"attendant_id": 42, "directive_id": 8}),
        id="R10_attendant_directive_beats_matching_rule",
    ),
    pytest.param(
        {"directive": attendant_directive(), "state_block_is_human": False},
        (Target.ATTENDANT, ReasonCode.DIRECTIVE, {"attendant_id": 42, "directive_id": 8}),
        id="R10_directive_beats_flow_state",
    ),
    pytest.param(
        {"rules": (MATCHING_RULE,)},
        (Target.TEAM, ReasonCode.RULE, {"team_id": VENDAS, "rule_id": 1}),
        id="rule_when_no_ticket_nor_directive",
    ),
    pytest.param(
        {},
        (Target.TEAM, ReasonCode.DEFAULT_TEAM, {"team_id": DEFAULT_TEAM}),
        id="default_team_when_no_rule_matches",
    ),
    pytest.param(
        {"default_team_id": None},
        (Target.TEAM, ReasonCode.NO_DEFAULT_TEAM, {"team_id": None}),
        id="no_default_team",
    ),
    pytest.param(
        {"state_block_id": "inicio", "state_block_is_human": False, "rules": (MATCHING_RULE,)},
        (Target.FLOW_BLOCK, ReasonCode.FLOW_BLOCK, {"block_id": "inicio"}),
        id="flow_block_when_state_not_human_ignores_rules",
    ),
    pytest.param(
        {"state_block_id": None, "state_block_is_human": False},
        (Target.FLOW_BLOCK, ReasonCode.FLOW_BLOCK, {"block_id": None}),
        id="flow_start_without_state",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), PRECEDENCE)
def test_precedence(overrides, expected):
    target, code, ids = expected
    decision = decide(context(**overrides))
    assert (decision.target, decision.reason_code) == (target, code)
    assert {name: getattr(decision, name) for name in ids} == ids
    untouched = {"ticket_id", "attendant_id", "team_id", "block_id", "directive_id", "rule_id"}
    assert all(getattr(decision, name) is None for name in untouched - ids.keys())


# --- R11: the 24 h window ----------------------------------------------------------------------

EXPIRY = [
    pytest.param(timedelta(hours=23, minutes=59), ReasonCode.DIRECTIVE, id="23h59m_valid"),
    pytest.param(
        timedelta(hours=24) - timedelta(microseconds=1), ReasonCode.DIRECTIVE, id="24h-1us"
    ),
    pytest.param(timedelta(hours=24), ReasonCode.RULE, id="exactly_24h_expired"),
    pytest.param(timedelta(hours=24, minutes=1), ReasonCode.RULE, id="24h01m_expired"),
]


@pytest.mark.parametrize(("after_send", "code"), EXPIRY)
def test_R11_directive_expires_after_24h(after_send, code):
    ctx = context(now=SENT_AT + after_send, directive=attendant_directive(), rules=(MATCHING_RULE,))
    assert decide(ctx).reason_code == code


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param({}, (Target.TEAM, ReasonCode.DEFAULT_TEAM), id="human_state_default"),
        pytest.param(
            {"state_block_id": "inicio", "state_block_is_human": False},
            (Target.FLOW_BLOCK, ReasonCode.FLOW_BLOCK),
            id="flow_state",
        ),
    ],
)
def test_R11_expired_directive_routes_as_if_no_campaign(state, expected):
    expired = context(now=VALID_UNTIL + timedelta(minutes=1), directive=team_directive(), **state)
    never_sent = context(**state)
    assert decide(expired) == decide(never_sent)
    assert (decide(expired).target, decide(expired).reason_code) == expected


# --- R12 / R13 -----------------------------------------------------------------------------------


def test_R12_uses_the_directive_given():
    """The caller passes only the contact's latest non-superseded directive.

    A second send within 24 h supersedes the first in the caller's data (services/selectors),
    so ``decide`` never sees two. Here the later send went to a team after an earlier one went
    to an attendant: whatever the caller hands over is what routes, and its validity alone counts.
    """
    later = team_directive(directive_id=9, valid_until=NOW + timedelta(hours=23))
    decision = decide(context(directive=later))
    assert (decision.target, decision.team_id, decision.directive_id) == (Target.TEAM, SUPORTE, 9)
    assert decision.attendant_id is None


def test_R13_attendant_directive_yields_attendant_target():
    decision = decide(context(directive=attendant_directive()))
    assert decision.target == Target.ATTENDANT
    assert (decision.attendant_id, decision.team_id, decision.directive_id) == (42, None, 8)
    assert decision.reason_params["attendant_email"] == "ana@example.com"


# --- rule order and operators ------------------------------------------------------------------

NAME_ANA = cond("name", "contains", "ana")
TEXT_BOLETO = cond("last_message", "contains", "boleto")

RULE_TABLE = [
    pytest.param(
        (rule(1, NAME_ANA, team=SUPORTE), rule(2, NAME_ANA)), "", 1, id="first_of_two_matching"
    ),
    pytest.param((rule(1, TEXT_BOLETO), rule(2, NAME_ANA)), "", 2, id="skips_non_matching"),
    pytest.param((rule(1, NAME_ANA, TEXT_BOLETO),), "boleto", 1, id="and_all_match"),
    pytest.param((rule(1, NAME_ANA, TEXT_BOLETO),), "pix", None, id="and_one_fails"),
    pytest.param((rule(1, TEXT_BOLETO, NAME_ANA, operator="or"),), "pix", 1, id="or_one_matches"),
    pytest.param(
        (rule(1, TEXT_BOLETO, cond("email", "equals", "x@y.z"), operator="or"),),
        "pix",
        None,
        id="or_none_match",
    ),
    pytest.param((rule(1),), "", None, id="and_without_conditions_never_matches"),
    pytest.param((rule(1, operator="or"),), "", None, id="or_without_conditions_never_matches"),
    pytest.param(
        (rule(1, cond("name", "contains", "  ")), rule(2, NAME_ANA)),
        "",
        2,
        id="rule_with_only_blank_values_never_matches",
    ),
]


@pytest.mark.parametrize(("rules", "text", "rule_id"), RULE_TABLE)
def test_rules_first_match_wins(rules, text, rule_id):
    decision = decide(context(rules=rules, text=text))
    assert decision.rule_id == rule_id
    if rule_id is None:
        assert decision.reason_code == ReasonCode.DEFAULT_TEAM


# --- condition semantics -----------------------------------------------------------------------

CONDITIONS = [
    # (condition, context overrides, matches?)
    pytest.param(cond("last_message", "contains", "COMPRAR"), {}, True, id="contains_case"),
    pytest.param(cond("last_message", "contains", "vender"), {}, False, id="contains_miss"),
    pytest.param(cond("last_message", "contains", "x", "comp"), {}, True, id="contains_any_value"),
    pytest.param(
        cond("extra", "equals", "São Paulo", key="cidade"),
        {"extras": {"cidade": "são paulo"}},
        True,
        id="equals_case_insensitive",
    ),
    pytest.param(
        cond("extra", "equals", "Sao Paulo", key="cidade"),
        {"extras": {"cidade": "São Paulo"}},
        False,
        id="equals_accent_sensitive",
    ),
    pytest.param(
        cond("extra", "equals", "São Paulo", key="cidade"),
        {"extras": {"cidade": "Sa\u0303o Paulo"}},
        True,
        id="equals_decomposed_accent_same_letter",
    ),
    pytest.param(
        cond("name", "equals", "  ana souza "), {"contact_name": " Ana Souza\n"}, True, id="strip"
    ),
    pytest.param(cond("name", "equals", "Ana"), {}, False, id="equals_is_not_contains"),
    pytest.param(
        cond("email", "equals", "ANA.SOUZA@EXAMPLE.COM"), {}, True, id="email_equals_case"
    ),
    pytest.param(
        cond("extra", "equals", "BH", key="estado"), {}, False, id="extra_missing_key_equals"
    ),
    pytest.param(
        cond("extra", "not_equals", "BH", key="estado"),
        {},
        True,
        id="extra_missing_key_not_equals",
    ),
    pytest.param(
        cond("extra", "contains", "B", key="cidade"), {"extras": {}}, False, id="extras_empty"
    ),
    pytest.param(
        cond("extra", "not_contains", "a", "x", key="estado"),
        {},
        True,
        id="extra_missing_key_not_contains",
    ),
    pytest.param(
        cond("last_message", "not_contains", "boleto", "pix"), {}, True, id="not_contains_none"
    ),
    pytest.param(
        cond("last_message", "not_contains", "boleto", "COMPRAR"),
        {},
        False,
        id="not_contains_second_value_hits",
    ),
    pytest.param(
        cond("extra", "not_equals", "SP", "RJ", key="cidade"), {}, True, id="not_equals_none"
    ),
    pytest.param(
        cond("extra", "not_equals", "SP", "bh", key="cidade"),
        {},
        False,
        id="not_equals_one_equal",
    ),
    pytest.param(
        cond("last_message", "contains", "", "  ", "comprar"), {}, True, id="blank_values_ignored"
    ),
    pytest.param(cond("last_message", "contains", ""), {}, False, id="contains_all_blank"),
    pytest.param(cond("last_message", "not_contains", " "), {}, False, id="not_contains_all_blank"),
    pytest.param(cond("name", "not_equals"), {}, False, id="not_equals_no_values"),
]


@pytest.mark.parametrize(("condition", "overrides", "matches"), CONDITIONS)
def test_condition(condition, overrides, matches):
    decision = decide(context(rules=(rule(1, condition),), **overrides))
    assert (decision.rule_id == 1) is matches


# --- reasons -----------------------------------------------------------------------------------

REASONS = [
    pytest.param({"open_ticket_id": 12}, "open_ticket", "open ticket #12", id="open_ticket"),
    pytest.param(
        {"directive": attendant_directive()},
        "directive",
        "directive of campaign 'Black Friday' valid until 2026-11-26 14:00 UTC",
        id="directive",
    ),
    pytest.param(
        {"directive": team_directive(valid_until=datetime(2026, 11, 26, 11, 0, tzinfo=BRT))},
        "directive",
        "directive of campaign 'Black Friday' valid until 2026-11-26 14:00 UTC",
        id="directive_in_other_zone_shown_in_utc",
    ),
    pytest.param(
        {"rules": (rule(1, cond("extra", "equals", "bh", "BH", key="cidade")),)},
        "rule",
        "rule 'R1' matched extras.cidade = bh",
        id="rule_equals_names_first_hit",
    ),
    pytest.param(
        {"rules": (rule(5, NAME_ANA, cond("last_message", "not_contains", "boleto", "pix")),)},
        "rule",
        "rule 'R5' matched name contains ana and last_message contains none of boleto, pix",
        id="rule_and_lists_every_condition",
    ),
    pytest.param(
        {
            "rules": (
                rule(3, TEXT_BOLETO, cond("extra", "not_equals", "SP", key="uf"), operator="or"),
            )
        },
        "rule",
        "rule 'R3' matched extras.uf is none of SP",
        id="rule_or_names_the_matching_condition",
    ),
    pytest.param(
        {
            "rules": (
                rule(4, NAME_ANA, cond("last_message", "equals", "quero comprar"), operator="or"),
            )
        },
        "rule",
        "rule 'R4' matched name contains ana",
        id="rule_or_names_only_the_first_matching_condition",
    ),
    pytest.param({}, "default_team", "no rule matched → Default", id="default_team"),
    pytest.param(
        {"default_team_id": None},
        "no_default_team",
        "no rule matched and the bot has no Default team",
        id="no_default_team",
    ),
    pytest.param(
        {"state_block_id": "inicio", "state_block_is_human": False},
        "flow_block",
        "flow block 'inicio'",
        id="flow_block",
    ),
    pytest.param(
        {"state_block_id": None, "state_block_is_human": False},
        "flow_block",
        "flow start (no saved contact state)",
        id="flow_start",
    ),
]


@pytest.mark.parametrize(("overrides", "code", "reason"), REASONS)
def test_reason(overrides, code, reason):
    decision = decide(context(**overrides))
    assert decision.reason_code == code
    assert decision.reason == reason
    # Stored on the ticket as JSON, and must render the same after the round trip.
    params = json.loads(json.dumps(decision.reason_params))
    assert Decision(decision.target, code, params).reason == reason


def test_unknown_reason_code_renders_the_code():
    assert Decision(Target.TEAM, "legacy_code", {}).reason == "legacy_code"


# --- invalid data ------------------------------------------------------------------------------

INVALID = [
    pytest.param(lambda: cond("phone", "equals", "x"), id="unknown_source"),
    pytest.param(lambda: cond("name", "starts_with", "x"), id="unknown_relation"),
    pytest.param(lambda: rule(1, operator="xor"), id="unknown_operator"),
    pytest.param(
        lambda: DirectiveData(id=1, valid_until=VALID_UNTIL, source_label="x"),
        id="directive_without_target",
    ),
    pytest.param(
        lambda: DirectiveData(
            id=1, valid_until=VALID_UNTIL, source_label="x", attendant_id=1, team_id=2
        ),
        id="directive_with_two_targets",
    ),
]


@pytest.mark.parametrize("build", INVALID)
def test_invalid_data_is_refused(build):
    with pytest.raises(ValueError):
        build()
