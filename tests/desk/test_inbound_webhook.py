"""The inbound pipeline through the real webhook view (Django test client)."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from bots.models import Message, ProcessedEnvelope
from bots.services import contact_move_to_block, message_record
from desk.models import InboundRouting, Ticket, TicketMessage
from desk.services import attendant_change_status, directive_create
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory, SubBotFactory
from tests.desk.factories import (
    AttendanceRuleFactory,
    AttendantFactory,
    RuleConditionFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db
PHONE = "+5511987654321"
NODE = "5511987654321@wa.gw.msging.net/instance-1"


def envelope(envelope_id="env-1", text="Oi", node=NODE, **extra):
    data = {"id": envelope_id, "from": node, "to": "bot@msging.net", "type": "text/plain"}
    data["content"] = text
    return data | extra


def post(client, bot, data, *, secret=None, raw=None):
    return client.post(
        f"/webhooks/blip/{bot.slug}/messages",
        data=raw if raw is not None else json.dumps(data),
        content_type="application/json",
        headers={"Authorization": f"Key {secret or bot.webhook_secret}"},
    )


@pytest.fixture
def desk():
    """A stand-alone bot whose contact sits in a human block; a rule sends 'comprar' to Vendas."""
    bot = BotFactory()
    human = FlowBlockFactory(bot=bot, human=True)
    vendas = TeamFactory(bot=bot, name="Vendas")
    rule = AttendanceRuleFactory(bot=bot, team=vendas, name="Compra")
    RuleConditionFactory(rule=rule, values=["comprar"])
    contact = ContactFactory(bot=bot, phone=PHONE)
    contact_move_to_block(contact=contact, bot=bot, block=human)
    ana = AttendantFactory(bot=bot, email="ana@example.com", teams=[vendas])
    return type("Desk", (), {"bot": bot, "contact": contact, "vendas": vendas, "ana": ana})


def test_text_message_is_recorded_routed_and_linked(
    client, desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, desk.bot, envelope(text="Quero comprar"))
    assert response.status_code == 200
    message = Message.objects.get(direction="in")
    assert (message.text, message.status, message.contact) == (
        "Quero comprar",
        "received",
        desk.contact,
    )
    ticket = Ticket.objects.get()
    # Ana is Online in Vendas with free slots: automatic distribution hands it to her (R21).
    assert (ticket.team, ticket.routed_by, ticket.status) == (desk.vendas, "rule", "open")
    assert ticket.attendant == desk.ana
    assert ticket.sequence == 1
    routing = InboundRouting.objects.get(message=message)
    assert (routing.reason_code, routing.ticket) == ("rule", ticket)
    assert "Compra" in routing.reason and ticket.routing_reason == routing.reason
    assert TicketMessage.objects.get().message == message
    desk.contact.refresh_from_db()
    assert desk.contact.last_inbound_at is not None


def test_idempotent_envelope_id_is_a_noop(client, desk):
    first = post(client, desk.bot, envelope("same-id", "comprar"))
    second = post(client, desk.bot, envelope("same-id", "comprar"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "duplicate"
    assert Message.objects.filter(direction="in").count() == 1
    assert Ticket.objects.count() == 1
    assert ProcessedEnvelope.objects.filter(kind="message").count() == 1


def test_second_message_joins_the_open_ticket(client, desk):
    post(client, desk.bot, envelope("a", "comprar"))
    post(client, desk.bot, envelope("b", "e mais uma coisa"))
    ticket = Ticket.objects.get()
    assert ticket.ticket_messages.count() == 2
    assert InboundRouting.objects.filter(reason_code="open_ticket", ticket=ticket).count() == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "not_json"),
        ("[1, 2]", "not_object"),
        (json.dumps({"from": NODE, "type": "text/plain", "content": "x"}), "missing_id"),
        (
            json.dumps({"id": "x", "from": "nobody", "type": "text/plain", "content": "x"}),
            "bad_from",
        ),
        (json.dumps({"id": "x", "from": "abc@wa.gw.msging.net", "type": "text/plain"}), "bad_from"),
        (json.dumps({"id": "x", "from": NODE, "content": "x"}), "missing_type"),
        (json.dumps({"id": "x", "from": NODE, "type": "text/plain", "content": 3}), "bad_content"),
        (json.dumps({"id": "x", "from": NODE, "type": "text/plain"}), "bad_content"),
        (json.dumps(envelope("x" * 101)), "id_too_long"),
    ],
)
def test_malformed_envelope_is_a_400_with_a_reason(client, desk, raw, code, caplog):
    response = post(client, desk.bot, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert code in caplog.text
    assert not Message.objects.exists()


def test_wrong_secret_is_401_and_unknown_bot_404(client, desk):
    assert post(client, desk.bot, envelope(), secret="wrong").status_code == 401
    sub = SubBotFactory()
    assert post(client, sub, envelope()).status_code == 404  # sub-bots have no webhook
    assert not Message.objects.exists()


def test_media_without_words_is_recorded_with_a_summary(client, desk):
    media = {"type": "application/vnd.lime.media-link+json", "content": {"uri": "https://x/y.jpg"}}
    response = post(client, desk.bot, envelope(**media))
    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.kind, message.text) == ("media", "📷")  # the type read from the address
    assert message.payload["content"] == {"uri": "https://x/y.jpg"}


def test_no_contact_state_goes_to_the_flow_and_creates_no_ticket(client):
    bot = BotFactory()
    response = post(client, bot, envelope(text="comprar"))
    assert response.json()["target"] == "flow_block"
    assert not Ticket.objects.exists()
    assert InboundRouting.objects.get().reason_code == "flow_block"
    assert Message.objects.get().contact.phone == PHONE  # the contact was created


def test_standard_block_records_the_block(client, desk):
    block = FlowBlockFactory(bot=desk.bot)
    contact_move_to_block(contact=desk.contact, bot=desk.bot, block=block)
    post(client, desk.bot, envelope(text="comprar"))
    routing = InboundRouting.objects.get()
    assert (routing.target, routing.block) == ("flow_block", block)


def test_no_rule_matched_goes_to_default(client, desk):
    post(client, desk.bot, envelope(text="Bom dia"))
    ticket = Ticket.objects.get()
    assert (ticket.team.name, ticket.routed_by) == ("Default", "default")


def _directive(desk, *, sent_at, attendant=None, team=None, label="Black Friday"):
    directive = directive_create(
        contact=desk.contact,
        bot=desk.bot,
        sent_at=sent_at,
        source_label=label,
        attendant=attendant,
        team=team,
    )
    message_record(
        bot=desk.bot,
        contact=desk.contact,
        direction="out",
        kind="template",
        text="Olá! Temos novidades.",
        status="sent",
        payload={"campaign_id": 1},
    )
    return directive


def test_R10_directive_beats_a_matching_rule(client, desk):
    bruno = AttendantFactory(bot=desk.bot, email="bruno@example.com", offline=True)
    directive = _directive(desk, sent_at=timezone.now() - dt.timedelta(hours=1), attendant=bruno)
    post(client, desk.bot, envelope(text="Quero comprar"))
    ticket = Ticket.objects.get()
    assert ticket.routed_by == "directive"
    assert (ticket.requested_attendant, ticket.directive) == (bruno, directive)
    assert ticket.attendant is None and ticket.status == "waiting"
    assert "Black Friday" in ticket.routing_reason


@pytest.mark.parametrize(
    ("age", "routed_by"),
    [
        (dt.timedelta(hours=23, minutes=59), "directive"),
        (dt.timedelta(hours=24, minutes=1), "rule"),
    ],
    ids=["23h59m_directive", "24h01m_rules"],
)
def test_R11_reply_after_the_directive_expired_goes_to_the_rules(client, desk, age, routed_by):
    bruno = AttendantFactory(bot=desk.bot, email="bruno@example.com")
    _directive(desk, sent_at=timezone.now() - age, attendant=bruno)
    post(client, desk.bot, envelope(text="Quero comprar"))
    ticket = Ticket.objects.get()
    assert ticket.routed_by == routed_by
    if routed_by == "rule":
        assert (ticket.team, ticket.requested_attendant) == (desk.vendas, None)


def test_R12_the_later_send_wins(client, desk):
    bruno = AttendantFactory(bot=desk.bot, email="bruno@example.com")
    _directive(desk, sent_at=timezone.now() - dt.timedelta(hours=3), attendant=bruno, label="A")
    _directive(desk, sent_at=timezone.now() - dt.timedelta(hours=1), team=desk.vendas, label="B")
    post(client, desk.bot, envelope(text="oi"))
    ticket = Ticket.objects.get()
    assert (ticket.team, ticket.requested_attendant, ticket.routed_by) == (
        desk.vendas,
        None,
        "directive",
    )


def test_router_ticket_goes_to_the_sub_bot_of_the_directive(client):
    sub = SubBotFactory(desk_enabled=True)
    router = sub.router
    router.whatsapp_number = "+5511999990000"
    router.save()
    human = FlowBlockFactory(bot=sub, human=True)
    contact = ContactFactory(bot=router, phone=PHONE)
    ana = AttendantFactory(bot=sub)
    directive_create(
        contact=contact,
        bot=sub,
        sent_at=timezone.now(),
        source_label="C",
        attendant=ana,
        human_block=human,
    )
    contact_move_to_block(contact=contact, bot=sub, block=human)
    post(client, router, envelope(text="oi"))
    ticket = Ticket.objects.get()
    assert (ticket.bot, ticket.requested_attendant, ticket.team.name) == (sub, ana, "Default")
    assert Message.objects.get().bot == router


def test_router_rules_of_the_state_sub_bot(client):
    sub = SubBotFactory(desk_enabled=True)
    router = sub.router
    human = FlowBlockFactory(bot=sub, human=True)
    team = TeamFactory(bot=sub, name="Vendas")
    RuleConditionFactory(rule=AttendanceRuleFactory(bot=sub, team=team), values=["comprar"])
    contact = ContactFactory(bot=router, phone=PHONE)
    contact_move_to_block(contact=contact, bot=sub, block=human)
    post(client, router, envelope(text="vou comprar"))
    ticket = Ticket.objects.get()
    assert (ticket.bot, ticket.team, ticket.routed_by) == (sub, team, "rule")


def test_ticket_numbers_follow_per_bot(client, desk):
    post(client, desk.bot, envelope("a", "comprar"))
    Ticket.objects.update(status="transferred")
    post(client, desk.bot, envelope("b", "comprar"))
    assert sorted(Ticket.objects.values_list("sequence", flat=True)) == [1, 2]


# Committed for real: the command prints who received the ticket after its commit ran the
# message's effects (R21), as in production.
@pytest.mark.django_db(transaction=True)
def test_receive_message_command_runs_the_pipeline(desk, capsys):
    call_command("receive_message", desk.bot.slug, "+55 11 98765-4321", "quero comprar")
    contact_line, routing_line, assigned_line = capsys.readouterr().out.splitlines()
    assert assigned_line == "assigned to ana@example.com"
    assert contact_line.startswith(f"contact {desk.contact.pk} {PHONE}")
    assert contact_line.endswith("matched by phone")
    assert routing_line.startswith("team (rule)")
    assert Ticket.objects.get().contact == desk.contact


# Committed for real: the command prints who received the ticket after its commit ran the
# message's effects (R21), as in production.
@pytest.mark.django_db(transaction=True)
def test_R21_receive_message_prints_who_received_the_ticket_at_once(desk, capsys):
    call_command("receive_message", desk.bot.slug, PHONE, "quero comprar")
    assert capsys.readouterr().out.splitlines()[-1] == "assigned to ana@example.com"
    # The next message joins the open ticket: nobody is assigned anew, nothing printed.
    call_command("receive_message", desk.bot.slug, PHONE, "e o preço?")
    assert "assigned to" not in capsys.readouterr().out


def test_R21_receive_message_prints_no_attendant_when_the_ticket_waits(desk, capsys):
    attendant_change_status(attendant=desk.ana, status="offline")
    call_command("receive_message", desk.bot.slug, PHONE, "quero comprar")
    out = capsys.readouterr().out
    assert "team (rule)" in out and "assigned to" not in out


def test_receive_message_command_refuses_unknown_bot_and_bad_phone(desk):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("receive_message", "nope", PHONE, "oi")
    with pytest.raises(CommandError):
        call_command("receive_message", desk.bot.slug, "abc", "oi")
    assert not Message.objects.exists()


def test_contact_replied_is_sent_on_commit_with_the_message(
    client, desk, django_capture_on_commit_callbacks
):
    from desk.signals import contact_replied

    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs)

    contact_replied.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            post(client, desk.bot, envelope(text="oi"))
        assert seen == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        contact_replied.disconnect(listener)
    message = Message.objects.get(direction="in")
    assert len(seen) == 1
    assert (seen[0]["bot"], seen[0]["contact"], seen[0]["message"]) == (
        desk.bot,
        desk.contact,
        message,
    )
    assert seen[0]["at"] is not None
