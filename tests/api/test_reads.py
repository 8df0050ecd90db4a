"""The read endpoints: only the key's bot and sub-bots, paginated and filterable."""

import pytest

from campaigns.models import Recipient
from tests.api.factories import ApiKeyFactory, client_for
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import CampaignFactory, MessageTemplateFactory, RecipientFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db


def names(response, field="name"):
    assert response.status_code == 200, response.content
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    return [row[field] for row in rows]


def test_lists_show_the_key_bot_and_its_sub_bots_only(routed):
    stranger = BotFactory()
    MessageTemplateFactory(bot=stranger, name="alheio")
    TeamFactory(bot=stranger, name="Alheia")
    AttendantFactory(bot=stranger, email="zeca@example.com")
    FlowBlockFactory(bot=stranger, block_id="alheio")
    client = client_for(routed.key)
    assert names(client.get("/api/v1/templates")) == ["oferta"]
    assert names(client.get("/api/v1/teams")) == ["Default", "Vendas"]
    assert names(client.get("/api/v1/attendants"), "email") == ["ana@example.com"]
    assert sorted(names(client.get("/api/v1/flow-blocks"), "kind")) == ["human", "standard"]
    assert names(client.get("/api/v1/bots"), "slug") == [routed.bot.slug, routed.target.slug]


def test_attendants_show_status_and_teams_and_filter(api):
    AttendantFactory(bot=api.bot, email="bruno@example.com", offline=True, teams=[api.team])
    client = client_for(api.key)
    rows = client.get("/api/v1/attendants").json()["results"]
    assert {(r["email"], r["status"], tuple(r["teams"])) for r in rows} == {
        ("ana@example.com", "online", ("Vendas",)),
        ("bruno@example.com", "offline", ("Vendas",)),
    }
    online = client.get("/api/v1/attendants", {"status": "online"})
    assert names(online, "email") == ["ana@example.com"]
    bad = client.get("/api/v1/attendants", {"status": "sleeping"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"


def test_templates_filter_by_status(api):
    MessageTemplateFactory(bot=api.bot, name="pendente", pending=True)
    client = client_for(api.key)
    assert names(client.get("/api/v1/templates", {"status": "approved"})) == ["oferta"]
    assert names(client.get("/api/v1/templates")) == ["oferta", "pendente"]


def test_campaign_of_another_bot_is_404_with_no_data(api):
    theirs = CampaignFactory(name="Segredo")
    RecipientFactory(campaign=theirs)
    client = client_for(api.key)
    for path in (f"/api/v1/campaigns/{theirs.pk}", f"/api/v1/campaigns/{theirs.pk}/recipients"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "Segredo" not in response.content.decode()
    canceled = client.post(f"/api/v1/campaigns/{theirs.pk}/cancel")
    assert canceled.status_code == 404
    assert "Segredo" not in names(client.get("/api/v1/campaigns"))


def test_another_bots_key_cannot_see_this_bots_campaign(api):
    campaign = CampaignFactory(bot=api.bot, template=api.template)
    other_key = ApiKeyFactory()
    assert client_for(other_key).get(f"/api/v1/campaigns/{campaign.pk}").status_code == 404
    assert client_for(api.key).get(f"/api/v1/campaigns/{campaign.pk}").status_code == 200


def test_campaign_detail_has_counts(api):
    campaign = CampaignFactory(bot=api.bot, template=api.template, bulk=True)
    RecipientFactory(campaign=campaign, status=Recipient.Status.READ)
    RecipientFactory(campaign=campaign, status=Recipient.Status.FAILED, failure_reason="x")
    RecipientFactory(campaign=campaign)
    data = client_for(api.key).get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert data["counts"] == {
        "total": 3, "pending": 1, "sent": 1, "delivered": 1, "read": 1, "replied": 0, "failed": 1,
    }  # fmt: skip
    assert data["routing"]["type"] == "flow"
    assert data["template"] == "oferta"


def test_recipients_are_paginated_and_filtered(api):
    campaign = CampaignFactory(bot=api.bot, template=api.template, bulk=True)
    for n in range(7):
        RecipientFactory(
            campaign=campaign,
            contact=ContactFactory(bot=api.bot, phone=f"+551197777{n:04d}"),
            status=Recipient.Status.SENT if n % 2 else Recipient.Status.PENDING,
        )
    client = client_for(api.key)
    url = f"/api/v1/campaigns/{campaign.pk}/recipients"
    first = client.get(url, {"page_size": 3}).json()
    assert first["count"] == 7 and len(first["results"]) == 3 and first["next"]
    third = client.get(url, {"page_size": 3, "page": 3}).json()
    assert len(third["results"]) == 1 and third["next"] is None
    sent = client.get(url, {"status": "sent"}).json()
    assert sent["count"] == 3 and {r["status"] for r in sent["results"]} == {"sent"}
    one = client.get(url, {"phone": "+5511977770004"}).json()
    assert [r["phone"] for r in one["results"]] == ["+5511977770004"]
    assert client.get(url, {"page": 99}).status_code == 404


def test_campaign_list_filters_by_status(api):
    CampaignFactory(bot=api.bot, template=api.template, name="Agendada", scheduled=True)
    CampaignFactory(bot=api.bot, template=api.template, name="Rascunho")
    client = client_for(api.key)
    assert names(client.get("/api/v1/campaigns", {"status": "scheduled"})) == ["Agendada"]


def test_unknown_api_address_is_a_json_404(api):
    response = client_for(api.key).get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_null_character_in_a_filter_is_a_400_not_a_crash(api):
    response = client_for(api.key).get("/api/v1/attendants", {"bot": "vendas\x00"})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("invalid_filter", "bot")
