"""Routing reasons are stored as data and shown in the reader's language and time zone."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from desk.reasons import render_reason
from desk.routing import DirectiveData, InboundContext, decide

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def directive_decision():
    directive = DirectiveData(
        id=1, valid_until=NOW + dt.timedelta(hours=3), source_label="Black Friday", attendant_id=7
    )
    ctx = InboundContext(
        now=NOW,
        text="oi",
        contact_name="",
        contact_email="",
        extras={},
        open_ticket_id=None,
        directive=directive,
        state_block_id=None,
        state_block_is_human=False,
        rules=(),
        default_team_id=None,
    )
    return decide(ctx)


def test_directive_reason_in_local_time():
    decision = directive_decision()
    with translation.override("pt-br"), timezone.override("America/Sao_Paulo"):
        text = render_reason(decision.reason_code, decision.reason_params, decision.reason)
    assert "Black Friday" in text
    assert "15:00" in text  # 18:00 UTC is 15:00 in São Paulo
    assert text != decision.reason


def test_directive_reason_in_english_utc():
    decision = directive_decision()
    with translation.override("en"), timezone.override("UTC"):
        text = render_reason(decision.reason_code, decision.reason_params, decision.reason)
    assert "Black Friday" in text and "6 p.m." in text


@pytest.mark.parametrize(
    ("code", "params"),
    [("directive", {}), ("unknown", {"x": 1}), ("rule", {"rule_name": "x"}), ("", None)],
)
def test_unrenderable_reasons_fall_back_to_the_stored_sentence(code, params):
    assert render_reason(code, params, "stored sentence") == "stored sentence"


RULE_PARAMS = {
    "rule_name": "Compras",
    "matches": [
        {"field": "last_message", "relation": "contains", "values": ["comprar"]},
        {"field": "extras.cidade", "relation": "not_equals", "values": ["Rio", "BH"]},
    ],
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "pt-br",
            "Última mensagem contém “comprar” e campo do contato “cidade” não é nenhum de "
            "“Rio” ou “BH” (regra “Compras”)",
        ),
        (
            "en",
            "Last message contains “comprar” and contact field “cidade” is none of "
            "“Rio” or “BH” (rule “Compras”)",
        ),
    ],
)
def test_a_rule_reason_reads_as_a_person_would_say_it(language, expected):
    with translation.override(language):
        assert render_reason("rule", RULE_PARAMS, "stored") == expected


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"field": "name", "relation": "equals", "values": ["Ana"]}, "Nome do contato é “Ana”"),
        (
            {"field": "email", "relation": "not_contains", "values": ["spam"]},
            "E-mail do contato não contém “spam”",
        ),
        (
            {"field": "last_message", "relation": "not_contains", "values": ["boleto", "pix"]},
            "Última mensagem não contém nenhum de “boleto” ou “pix”",
        ),
    ],
)
def test_every_relation_and_field_has_words_not_identifiers(match, expected):
    with translation.override("pt-br"):
        text = render_reason("rule", {"rule_name": "R", "matches": [match]}, "stored")
    assert text == f"{expected} (regra “R”)"
    assert "_" not in text
