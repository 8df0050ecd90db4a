"""campaign_create: the Draft, its contacts and recipients, and the hand-off, all or nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bots.errors import error_codes
from bots.models import Contact
from campaigns import validation
from campaigns.audience import AudienceError
from campaigns.audience_store import AudienceMember, batched, resolve_recipient_parameters
from campaigns.dispatch import campaign_create
from campaigns.models import Campaign, Recipient
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory, SubBotFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db


def create(bot, *, audience, kind="individual", parameters=None, **routing):
    template = routing.pop("template", None) or MessageTemplateFactory(bot=bot)
    if not routing:
        routing = {"routing": "flow", "routing_bot": bot, "flow_block": FlowBlockFactory(bot=bot)}
    return campaign_create(
        bot=bot,
        created_by=None,
        name="Teste",
        kind=kind,
        template=template,
        parameters=parameters if parameters is not None else {"body": ["Ana"]},
        audience=audience,
        **routing,
    )


def attendant_routing(target, email="ana@example.com"):
    return {
        "routing": "attendant",
        "routing_bot": target,
        "flow_block": FlowBlockFactory(bot=target, human=True),
        "attendant_email": email,
    }


def codes(call) -> set[str]:
    with pytest.raises(ValidationError) as info:
        call()
    return error_codes(info.value)


def test_individual_creates_contact_recipient_and_hands_off():
    bot = BotFactory()
    campaign = create(bot, audience=[AudienceMember("+5511977771234", "Ana")])
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.audience_size == 1
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.status == Recipient.Status.PENDING
    assert recipient.parameters == {"body": ["Ana"], "header": None, "button": None}
    assert recipient.contact.bot == bot and recipient.contact.name == "Ana"


def test_contacts_live_on_the_router_not_on_the_sub_bot():
    sub = SubBotFactory()
    block = FlowBlockFactory(bot=sub)
    campaign = create(
        sub.router,
        audience=[AudienceMember("+5511977771234")],
        routing="flow",
        routing_bot=sub,
        flow_block=block,
    )
    assert Recipient.objects.get(campaign=campaign).contact.bot == sub.router


def test_scheduled_in_the_future_is_scheduled():
    bot = BotFactory()
    campaign_at = timezone.now() + dt.timedelta(hours=2)
    template = MessageTemplateFactory(bot=bot)
    campaign = campaign_create(
        bot=bot,
        created_by=None,
        name="Depois",
        kind="individual",
        template=template,
        parameters={"body": ["Ana"]},
        routing="flow",
        routing_bot=bot,
        flow_block=FlowBlockFactory(bot=bot),
        scheduled_at=campaign_at,
        audience=[AudienceMember("+5511977771234")],
    )
    assert campaign.status == Campaign.Status.SCHEDULED
    assert Campaign.objects.get().scheduled_at == campaign_at


def test_R5_refusal_creates_nothing():
    bot = BotFactory()
    AttendantFactory(bot=bot, email="ana@example.com")
    contacts_before = Contact.objects.count()
    found = codes(
        lambda: create(
            bot,
            audience=[AudienceMember("+5511977771234", "Nova")],
            **attendant_routing(bot, "ninguem@example.com"),
        )
    )
    assert found == {"R5_attendant_not_in_team"}
    assert not Campaign.objects.exists()
    assert not Recipient.objects.exists()
    assert Contact.objects.count() == contacts_before


def test_R5_refusal_at_submit_rolls_back_the_imported_audience(monkeypatch):
    """Even when the refusal comes last (campaign_submit), the contacts are rolled back."""
    bot = BotFactory()
    calls = []

    def refuse(*, campaign):
        calls.append(1)
        if len(calls) > 1:  # the early check passes, the final one (in campaign_submit) refuses
            raise ValidationError(
                {"attendant_email": ValidationError("x", code="R5_attendant_not_in_team")}
            )

    monkeypatch.setattr(validation, "validate_campaign_for_send", refuse)
    with pytest.raises(ValidationError):
        create(bot, audience=[AudienceMember("+5511977771234", "Nova")])
    assert len(calls) == 2
    assert not Campaign.objects.exists()
    assert not Contact.objects.filter(phone="+5511977771234").exists()


def test_attendant_email_is_case_insensitive_and_resolved():
    bot = BotFactory()
    ana = AttendantFactory(bot=bot, email="ana@example.com")
    campaign = create(
        bot,
        audience=[AudienceMember("+5511977771234")],
        **attendant_routing(bot, "ANA@Example.COM"),
    )
    assert campaign.attendant == ana and campaign.attendant_email == "ana@example.com"


@pytest.mark.parametrize(
    ("make_target", "code"),
    [
        (lambda: BotFactory(no_desk=True), "R7_desk_disabled"),
        (lambda: SubBotFactory(uses_router_context=False), "R9_router_context_off"),
    ],
)
def test_R7_R9_refused_by_the_service(make_target, code):
    target = make_target()
    AttendantFactory(bot=target, email="ana@example.com")
    found = codes(
        lambda: create(
            target.top_level,
            audience=[AudienceMember("+5511977771234")],
            **attendant_routing(target),
        )
    )
    assert code in found
    assert not Campaign.objects.exists()


def test_R8_no_human_block_refused_by_the_service():
    bot = BotFactory()
    AttendantFactory(bot=bot, email="ana@example.com")
    routing = {
        "routing": "attendant",
        "routing_bot": bot,
        "flow_block": FlowBlockFactory(bot=bot),
        "attendant_email": "ana@example.com",
    }
    assert "R8_no_human_block" in codes(
        lambda: create(bot, audience=[AudienceMember("+5511977771234")], **routing)
    )


def test_R1_and_R6_refused_by_the_service():
    offline = BotFactory(offline=True)
    assert "R1_not_connected" in codes(
        lambda: create(offline, audience=[AudienceMember("+5511977771234")])
    )
    bot = BotFactory()
    AttendantFactory(bot=bot, email="ana@example.com")
    found = codes(
        lambda: create(
            bot,
            kind="bulk",
            parameters={"body": ["nome"]},
            audience=[AudienceMember("+5511977771234", extras={"nome": "Ana"})],
            **attendant_routing(bot),
        )
    )
    # The database constraint names R6 too; full_clean reports it before any write.
    assert found & {
        "R6_attendant_bulk",
        "campaign_R6_attendant_individual_only",
        "constraint_violated",
    }
    assert not Campaign.objects.exists()


def test_R3_team_routing_needs_a_team_of_the_routing_bot():
    bot = BotFactory()
    other_team = TeamFactory(bot=BotFactory())
    assert "team_other_bot" in codes(
        lambda: create(
            bot,
            audience=[AudienceMember("+5511977771234")],
            routing="team",
            routing_bot=bot,
            team=other_team,
        )
    )


def test_template_not_approved_is_refused():
    bot = BotFactory()
    template = MessageTemplateFactory(bot=bot, pending=True)
    assert "template_not_approved" in codes(
        lambda: create(bot, audience=[AudienceMember("+5511977771234")], template=template)
    )


def test_empty_audience_is_refused():
    bot = BotFactory()
    assert codes(lambda: create(bot, audience=[])) == {"audience_empty"}
    assert not Campaign.objects.exists()


def test_R16_opted_out_are_excluded_counted_and_skipped_rows_counted():
    bot = BotFactory()
    ContactFactory(bot=bot, phone="+5511900000001", opted_out=True)
    audience = [
        AudienceMember("+5511900000001", extras={"nome": "Saiu"}),
        AudienceMember("+5511900000002", extras={"nome": "Bia"}),
        AudienceError(4, "phone_invalid", {"value": "abc"}),
    ]
    campaign = create(bot, kind="bulk", parameters={"body": ["nome"]}, audience=audience)
    assert (campaign.audience_size, campaign.opted_out_count, campaign.skipped_rows) == (1, 1, 1)
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.contact.phone == "+5511900000002"
    assert recipient.parameters == {"body": ["Bia"], "header": None, "button": None}


def test_existing_contacts_are_updated_not_duplicated():
    bot = BotFactory()
    ContactFactory(
        bot=bot, phone="+5511900000001", name="Antigo", extras={"cidade": "BH", "x": "1"}
    )
    audience = [AudienceMember("+5511900000001", extras={"nome": "Novo", "cidade": "Rio"})]
    create(bot, kind="bulk", parameters={"body": ["nome"]}, audience=audience)
    contact = Contact.objects.get(bot=bot, phone="+5511900000001")
    assert contact.name == "Novo"
    assert contact.extras == {"cidade": "Rio", "x": "1", "nome": "Novo"}


def test_bulk_parameters_resolve_header_and_button_from_columns():
    params = resolve_recipient_parameters(
        kind="bulk",
        parameters={"body": ["nome"], "header": "foto", "button": "pedido"},
        extras={"nome": "Ana", "foto": "https://x/y.jpg", "pedido": "A1"},
    )
    assert params == {"body": ["Ana"], "header": "https://x/y.jpg", "button": "A1"}


def test_import_is_batched_not_one_query_per_row(monkeypatch, settings):
    monkeypatch.setattr(batched, "AUDIENCE_BATCH", 50)
    settings.AUDIENCE_COPY_MIN_ROWS = 10_000  # the ORM batches, also on PostgreSQL
    bot = BotFactory()
    ContactFactory(bot=bot, phone="+5511900000007", name="Velho")

    def audience(n):
        return [AudienceMember(f"+55119{i:08d}", extras={"nome": f"P{i}"}) for i in range(1, n + 1)]

    with CaptureQueriesContext(connection) as small:
        create(bot, kind="bulk", parameters={"body": ["nome"]}, audience=audience(50))
    with CaptureQueriesContext(connection) as large:
        create(bot, kind="bulk", parameters={"body": ["nome"]}, audience=audience(500))
    assert Recipient.objects.count() == 550
    # 10x the rows costs a handful of queries per batch, not one per row.
    assert len(large.captured_queries) < len(small.captured_queries) + 10 * 6
    assert len(large.captured_queries) < 500
