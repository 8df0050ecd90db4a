"""Sends through the API go through the wizard's services: same rules, same codes, same result."""

import datetime as dt

import pytest
from django.utils import timezone

from bots.models import Contact
from campaigns.models import Campaign, Recipient
from desk.models import ReplyDirective
from tests.api.factories import client_for
from tests.bots.factories import ContactFactory

pytestmark = pytest.mark.django_db


def post(setup, path, payload, language=None, **headers):
    return client_for(setup.key, language).post(path, payload, format="json", **headers)


def test_individual_send_routed_to_an_attendant(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "/api/v1/messages", api.message(contact_name="Maria"))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["kind"] == "individual"
    assert data["routing"] == {
        "type": "attendant",
        "bot": api.bot.slug,
        "flow_block": api.human_block.block_id,
        "team": None,
        "attendant_email": "ana@example.com",
    }
    campaign = Campaign.objects.get(pk=data["id"])
    assert campaign.attendant == api.attendant
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.contact.phone == "+5511977771234"
    assert recipient.contact.name == "Maria"
    assert recipient.status == Recipient.Status.SENT  # eager Celery: sent at once
    directive = ReplyDirective.objects.get(contact=recipient.contact, superseded=False)
    assert directive.attendant == api.attendant
    assert data["warnings"] == []


def test_R14_warns_when_the_attendant_is_not_online(api, django_capture_on_commit_callbacks):
    api.attendant.status = "offline"
    api.attendant.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "/api/v1/messages", api.message())
    assert response.status_code == 201
    assert [w["code"] for w in response.json()["warnings"]] == ["R14_attendant_not_online"]


def test_send_under_a_router_names_the_sub_bot(routed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(routed, "/api/v1/messages", routed.message())
    assert response.status_code == 201, response.json()
    assert response.json()["routing"]["bot"] == routed.target.slug


def test_scheduled_send_then_cancel(api):
    at = timezone.now() + dt.timedelta(hours=2)
    response = post(api, "/api/v1/messages", api.message(scheduled_at=at.isoformat()))
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "scheduled"
    assert dt.datetime.fromisoformat(data["scheduled_at"]) == at
    assert Recipient.objects.get(campaign_id=data["id"]).status == Recipient.Status.PENDING
    canceled = post(api, f"/api/v1/campaigns/{data['id']}/cancel", None)
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    again = post(api, f"/api/v1/campaigns/{data['id']}/cancel", None)
    assert again.status_code == 409 and again.json()["code"] == "campaign_not_cancelable"


def test_a_sent_campaign_cannot_be_canceled(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = post(api, "/api/v1/messages", api.message()).json()
    response = post(api, f"/api/v1/campaigns/{sent['id']}/cancel", None)
    assert response.status_code == 409
    assert response.json()["code"] == "campaign_not_cancelable"


def test_bulk_campaign_from_rows(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "/api/v1/campaigns", api.bulk())
    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.kind == "bulk" and campaign.audience_size == 2
    contacts = Contact.objects.filter(bot=api.bot).order_by("phone")
    assert [(c.phone, c.extras) for c in contacts] == [
        ("+5511977770001", {"nome": "Ana"}),
        ("+5511977770002", {"nome": "Bruno"}),
    ]
    assert set(campaign.recipients.values_list("status", flat=True)) == {"sent"}
    assert sorted(r.parameters["body"][0] for r in campaign.recipients.all()) == ["Ana", "Bruno"]


BAD_ROWS = [
    {"phone": "+5511977770001", "nome": "Ana"},
    {"phone": "abc", "nome": "Bruno"},
    {"phone": "", "nome": "Carla"},
    {"phone": "(11) 97777-0001", "nome": "Ana de novo"},
]


def test_R16_bulk_row_errors_are_reported_by_index(api):
    response = post(api, "/api/v1/campaigns", api.bulk(BAD_ROWS))
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "R16_bad_rows_not_skipped"
    rows = [(e["index"], e["code"], e["field"]) for e in data["errors"] if "index" in e]
    assert rows == [
        (1, "phone_invalid", "rows[1]"),
        (2, "phone_empty", "rows[2]"),
        (3, "duplicate_phone", "rows[3]"),
    ]
    assert not Campaign.objects.exists()


def test_R16_bulk_rows_with_errors_can_be_skipped(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "/api/v1/campaigns", api.bulk(BAD_ROWS, skip_invalid_rows=True))
    assert response.status_code == 201
    data = response.json()
    assert data["audience_size"] == 1 and data["skipped_rows"] == 3
    assert [e["index"] for e in data["skipped_rows_errors"]] == [1, 2, 3]


def test_R16_bulk_column_names_follow_the_csv_header_rule(api):
    rows = [{"phone": "+5511977770001", "nome": "Ana", "cidade/uf": "SP"}]
    response = post(api, "/api/v1/campaigns", api.bulk(rows))
    assert response.status_code == 422
    assert response.json()["code"] == "header_special_chars"


def test_R16_no_row_can_be_sent_to(api):
    ContactFactory(bot=api.bot, phone="+5511977770001", opted_out=True)
    rows = [{"phone": "+5511977770001", "nome": "Ana"}]
    response = post(api, "/api/v1/campaigns", api.bulk(rows))
    assert response.status_code == 422
    assert response.json()["code"] == "R16_no_valid_rows"


def test_bulk_parameters_name_existing_columns(api):
    response = post(api, "/api/v1/campaigns", api.bulk(parameters={"body": ["sobrenome"]}))
    assert response.status_code == 422
    assert response.json()["code"] == "column_unknown"
    assert response.json()["field"] == "parameters"


def test_large_bulk_is_imported_in_the_background(api, settings):
    settings.AUDIENCE_INLINE_MAX_ROWS = 2
    rows = [{"phone": f"+55119777700{n:02d}", "nome": f"P{n}"} for n in range(5)]
    response = post(api, "/api/v1/campaigns", api.bulk(rows))
    assert response.status_code == 201
    assert response.json()["import_status"] == "importing"


def test_messages_follow_accept_language(api):
    payload = api.message(routing=api.routing(attendant_email="ninguem@example.com"))
    pt = post(api, "/api/v1/messages", payload).json()
    en = post(api, "/api/v1/messages", payload, language="en").json()
    assert pt["code"] == en["code"] == "R5_attendant_not_in_team"
    assert pt["field"] == en["field"] == "routing.attendant_email"
    assert pt["message"].startswith("Nenhum atendente com o e-mail ninguem@example.com")
    assert en["message"].startswith("No attendant with the e-mail ninguem@example.com")


def test_malformed_body_is_a_400_with_codes(api):
    response = post(api, "/api/v1/messages", {"routing": {"type": "carrier-pigeon"}})
    assert response.status_code == 400
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert ("template", "required") in fields
    assert ("routing.type", "invalid_choice") in fields


def test_broken_json_is_a_400(api):
    response = client_for(api.key).post(
        "/api/v1/messages", data="{nope", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


def test_R18_send_to_a_whatsapp_identity(api, django_capture_on_commit_callbacks):
    payload = api.message(identity="551187654321@wa.gw.msging.net/instance")
    payload.pop("phone")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, "/api/v1/messages", payload)
    assert response.status_code == 201, response.json()
    contact = Contact.objects.get(bot=api.bot)
    assert contact.phone == "+5511987654321"  # the eight-digit mobile in today's form
    assert contact.whatsapp_identity == "551187654321@wa.gw.msging.net"
    assert Recipient.objects.get().status == Recipient.Status.SENT


def test_R18_a_bad_identity_is_refused(api):
    response = post(api, "/api/v1/messages", api.message(phone="", identity="nobody@"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("identity_invalid", "identity")


def test_a_key_cannot_send_with_another_bots_template_or_sub_bot(api, routed):
    """Cross-bot: names of another bot's rows are not found, and nothing is created or sent."""
    foreign_template = api.message(template=routed.template.name)
    routed.template.name = "so_do_roteador"
    routed.template.save()
    foreign_template["template"] = "so_do_roteador"
    response = post(api, "/api/v1/messages", foreign_template)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("template_not_found", "template")
    foreign_bot = api.message(routing=api.routing(bot=routed.target.slug))
    response = post(api, "/api/v1/messages", foreign_bot)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "routing_bot_other",
        "routing.bot",
    )
    assert routed.target.name not in response.json()["message"]
    assert not Campaign.objects.exists() and not Contact.objects.exists()
