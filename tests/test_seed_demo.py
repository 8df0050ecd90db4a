import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from bots.models import Bot, FlowBlock
from campaigns.models import Campaign, MessageTemplate
from campaigns.validation import validate_campaign_for_send
from desk.models import Attendant, Team

pytestmark = pytest.mark.django_db

MODELS = [Bot, FlowBlock, Team, Attendant, MessageTemplate, get_user_model()]


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_seed_demo_is_idempotent_and_matches_the_contract():
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first

    assert authenticate(username="admin", password="admin").is_superuser
    router = Bot.objects.get(slug="demo-router")
    assert router.is_router and router.is_connected_to_whatsapp
    vendas = Bot.objects.get(slug="vendas")
    suporte = Bot.objects.get(slug="suporte")
    assert vendas.router == router and suporte.router == router
    assert vendas.desk_enabled and vendas.uses_router_context
    assert vendas.blocks.filter(kind="human").exists()
    loja = Bot.objects.get(slug="loja")
    assert not loja.is_router and loja.is_connected_to_whatsapp and loja.desk_enabled
    assert not Bot.objects.get(slug="sem-whatsapp").is_connected_to_whatsapp
    assert set(vendas.teams.values_list("name", flat=True)) == {"Default", "Vendas"}

    ana = Attendant.objects.get(bot=vendas, email="ana@example.com")
    assert ana.status == "online" and ana.teams.filter(name="Vendas").exists()
    assert Attendant.objects.get(bot=vendas, email="bruno@example.com").status == "offline"
    assert authenticate(username="ana@example.com", password="demo") == ana.user
    assert authenticate(username="bruno@example.com", password="demo") is not None

    approved = MessageTemplate.objects.filter(bot=router, status="approved")
    assert approved.filter(variable_count=0).exists()
    assert approved.filter(variable_count__gt=0).exists()
    for template in MessageTemplate.objects.all():
        template.full_clean()


def test_demo_supports_an_attendant_campaign_that_validates():
    call_command("seed_demo")
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    campaign = Campaign(
        bot=router,
        name="x",
        kind="individual",
        template=MessageTemplate.objects.get(bot=router, name="boas_vindas"),
        parameters={"body": []},
        routing="attendant",
        routing_bot=vendas,
        flow_block=vendas.blocks.get(kind="human"),
        attendant_email="ana@example.com",
    )
    validate_campaign_for_send(campaign=campaign)
    assert campaign.attendant.email == "ana@example.com"
