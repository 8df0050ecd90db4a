"""R28: every validation code of campaigns.validation comes back through the API, unchanged.

The codes are read from the module, so a rule added there (R18, R22, R23, R26…) fails this
test until it has a scenario below: write one that makes the API refuse with that code.
"""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import validation
from campaigns.models import Campaign
from tests.api import scenarios
from tests.api.factories import client_for
from tests.bots.factories import ContactFactory, FlowBlockFactory, SubBotFactory
from tests.desk.factories import AttendantAbsenceFactory, AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db


def validation_codes() -> list[str]:
    return sorted(
        value
        for name, value in vars(validation).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("_")
    )


def _message(s, **overrides):
    return "/api/v1/messages", s.message(**overrides)


def _r1(s):
    s.bot.whatsapp_number = ""
    s.bot.save()
    return _message(s)


def _r3(s):
    return _message(s, routing=s.routing(attendant_email=""))


def _r4(s):
    routing = s.routing()
    routing.pop("bot")
    return _message(s, routing=routing)


def _r5(s):
    return _message(s, routing=s.routing(attendant_email="ninguem@example.com"))


def _r6(s):
    return "/api/v1/campaigns", s.bulk(routing=s.routing("attendant"))


def _r7(s):
    s.target.desk_enabled = False
    s.target.save()
    return _message(s)


def _r8(s):
    return _message(s, routing=s.routing(flow_block=s.block.block_id))


def _r9(s):
    s.target.uses_router_context = False
    s.target.save()
    return _message(s)


def _template_not_approved(s):
    s.template.status = "pending"
    s.template.save()
    return _message(s)


def _sibling(s):
    return SubBotFactory(router=s.bot, desk_enabled=True)


def _block_other_bot(s):
    block = FlowBlockFactory(bot=_sibling(s), block_id="outro-menu")
    return _message(s, routing=s.routing("flow", flow_block=block.block_id))


def _team_other_bot(s):
    team = TeamFactory(bot=_sibling(s), name="Suporte")
    return _message(s, routing=s.routing("team", team=team.name))


def _team_desk_disabled(s):
    s.target.desk_enabled = False
    s.target.save()
    return _message(s, routing=s.routing("team"))


def _opted_out(s):
    ContactFactory(bot=s.bot, phone="+5511977771234", opted_out=True)
    return _message(s)


def _schedule_in_past(s):
    return _message(s, scheduled_at=(timezone.now() - dt.timedelta(minutes=5)).isoformat())


def _r22_minutes(s):
    return _message(s, routing=s.routing(fallback_minutes=0))


def _r22_needs_attendant(s):
    return _message(s, routing=s.routing("team", fallback_minutes=10))


def _r23_absent(s):
    AttendantAbsenceFactory(attendant=s.attendant, starts_on=timezone.localdate())
    return _message(s)


def _r23_substitute_unavailable(s):
    outsider = AttendantFactory(bot=s.target, email="zeca@example.com", teams=[])
    AttendantAbsenceFactory(
        attendant=s.attendant, starts_on=timezone.localdate(), substitute=outsider
    )
    return _message(s)


def _column_unknown(s):
    return "/api/v1/campaigns", s.bulk(parameters={"body": ["sobrenome"]})


# code → (needs a router?, scenario, field the error names)
SCENARIOS = {
    validation.R1_NOT_CONNECTED: (False, _r1, "bot"),
    validation.R3_ROUTING_INCOMPLETE: (False, _r3, "routing.attendant_email"),
    validation.R4_SUB_BOT_REQUIRED: (True, _r4, "routing.bot"),
    validation.R5_ATTENDANT_NOT_IN_TEAM: (False, _r5, "routing.attendant_email"),
    validation.R6_ATTENDANT_BULK: (False, _r6, "routing.type"),
    validation.R7_DESK_DISABLED: (False, _r7, "routing.bot"),
    validation.R8_NO_HUMAN_BLOCK: (False, _r8, "routing.flow_block"),
    validation.R9_ROUTER_CONTEXT_OFF: (True, _r9, "routing.bot"),
    validation.TEMPLATE_NOT_APPROVED: (False, _template_not_approved, "template"),
    validation.BLOCK_OTHER_BOT: (True, _block_other_bot, "routing.flow_block"),
    validation.TEAM_OTHER_BOT: (True, _team_other_bot, "routing.team"),
    validation.TEAM_DESK_DISABLED: (False, _team_desk_disabled, "routing.bot"),
    validation.R16_CONTACT_OPTED_OUT: (False, _opted_out, "phone"),
    validation.SCHEDULE_IN_PAST: (False, _schedule_in_past, "scheduled_at"),
    validation.COLUMN_UNKNOWN: (False, _column_unknown, "parameters"),
    validation.R22_FALLBACK_MINUTES: (False, _r22_minutes, "routing.fallback_minutes"),
    validation.R22_FALLBACK_NEEDS_ATTENDANT: (
        False,
        _r22_needs_attendant,
        "routing.fallback_minutes",
    ),
    validation.R23_ATTENDANT_ABSENT: (False, _r23_absent, "routing.attendant_email"),
    validation.R23_SUBSTITUTE_UNAVAILABLE: (
        False,
        _r23_substitute_unavailable,
        "routing.attendant_email",
    ),
}


@pytest.mark.parametrize("code", validation_codes())
def test_R28_every_validation_code_is_returned_by_the_api(code):
    assert code in SCENARIOS, (
        f"campaigns.validation has the code {code!r} but the API has no scenario for it: add "
        "one to SCENARIOS in tests/api/test_validation_codes.py"
    )
    router, scenario, field = SCENARIOS[code]
    s = scenarios.setup(router=router)
    path, payload = scenario(s)
    response = client_for(s.key).post(path, payload, format="json")
    assert response.status_code == 422, response.json()
    found = {(e["code"], e["field"]) for e in response.json()["errors"]}
    assert (code, field) in found, found
    assert not Campaign.objects.exists()


# Codes of the template's own checks (the model's full_clean), which the wizard shares too.
TEMPLATE_CASES = {
    "template_parameter_count": {"body": []},
    "template_variable_missing": {"body": ["  "]},
}


@pytest.mark.parametrize(("code", "parameters"), TEMPLATE_CASES.items())
def test_R28_template_parameter_codes(api, code, parameters):
    response = client_for(api.key).post(
        "/api/v1/messages", api.message(parameters=parameters), format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["field"] == "parameters"


@pytest.mark.parametrize(
    ("phone", "code"), [("abc", "phone_invalid"), ("", "phone_empty"), ("123", "phone_invalid")]
)
def test_R16_phone_codes_are_the_wizards(api, phone, code):
    response = client_for(api.key).post("/api/v1/messages", api.message(phone=phone), format="json")
    assert response.status_code == 422
    assert response.json()["field"] == "phone"
    assert response.json()["code"] == code
