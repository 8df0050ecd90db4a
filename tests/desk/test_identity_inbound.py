"""R18 through the webhook: a reply from either form of the identity reaches its campaign's
directive, the open ticket and the recipient, on one contact."""

import json

import pytest
from django.core.management import call_command

from bots.models import Contact
from campaigns.audience_store import AudienceMember
from campaigns.dispatch import campaign_create
from campaigns.models import Campaign, Recipient
from desk.models import Ticket
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db

NEW = "+5511987654321"
OLD_NODE = "551187654321@wa.gw.msging.net/instance-7"
NEW_NODE = "5511987654321@wa.gw.msging.net/instance-2"


def post(client, bot, envelope_id, node, text="Oi, recebi!"):
    body = {"id": envelope_id, "from": node, "to": "bot@msging.net", "type": "text/plain"}
    return client.post(
        f"/webhooks/blip/{bot.slug}/messages",
        data=json.dumps({**body, "content": text}),
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )


@pytest.fixture
def sent_to_ana(django_capture_on_commit_callbacks):
    """An individual campaign to +55 11 98765-4321 routed to Ana, sent through the engine."""
    bot = BotFactory()
    human = FlowBlockFactory(bot=bot, human=True)
    vendas = TeamFactory(bot=bot, name="Vendas")
    ana = AttendantFactory(bot=bot, email="ana@example.com", teams=[vendas])
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_create(
            bot=bot,
            created_by=None,
            name="Retomada",
            kind=Campaign.Kind.INDIVIDUAL,
            template=MessageTemplateFactory(bot=bot),
            parameters={"body": ["Ana"]},
            routing=Campaign.Routing.ATTENDANT,
            routing_bot=bot,
            flow_block=human,
            attendant_email=ana.email,
            audience=[AudienceMember(phone=NEW)],
        )
    recipient = Recipient.objects.get(campaign=campaign)
    assert recipient.status == "sent"
    return type("Sent", (), {"bot": bot, "ana": ana, "recipient": recipient})


@pytest.mark.parametrize("node", [OLD_NODE, NEW_NODE], ids=["without-ninth-digit", "with-it"])
def test_R18_a_reply_from_either_form_reaches_the_directed_attendant(
    client, sent_to_ana, node, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sent_to_ana.bot, "in-1", node)
    assert response.status_code == 200
    assert response.json()["target"] == "attendant"
    contact = Contact.objects.get()  # never a second contact
    assert contact.phone == NEW
    assert contact.whatsapp_identity == node.split("/")[0]
    ticket = Ticket.objects.get()
    assert (ticket.contact, ticket.requested_attendant, ticket.routed_by) == (
        contact,
        sent_to_ana.ana,
        "directive",
    )
    sent_to_ana.recipient.refresh_from_db()
    assert sent_to_ana.recipient.status == "replied"
    # R19: the reply proves delivery and read.
    assert sent_to_ana.recipient.delivered_at and sent_to_ana.recipient.read_at


def test_R18_the_second_reply_joins_the_open_ticket_from_the_other_form(
    client, sent_to_ana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, sent_to_ana.bot, "in-1", OLD_NODE)
        response = post(client, sent_to_ana.bot, "in-2", NEW_NODE, "Ainda está aí?")
    assert response.json()["target"] == "existing_ticket"
    assert Ticket.objects.count() == 1 and Contact.objects.count() == 1
    assert Ticket.objects.get().ticket_messages.count() == 2


def test_R18_a_reply_merges_rows_made_before_and_keeps_the_directive(
    client, sent_to_ana, django_capture_on_commit_callbacks
):
    # Old data: a first message from the old form had created its own contact.
    twin = ContactFactory(bot=sent_to_ana.bot, phone="+551187654321", name="")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sent_to_ana.bot, "in-1", OLD_NODE)
    assert response.json()["target"] == "attendant"
    assert not Contact.objects.filter(pk=twin.pk).exists()
    assert Ticket.objects.get().requested_attendant == sent_to_ana.ana


def test_R18_a_landline_reply_is_never_matched_to_a_mobile(client):
    bot = BotFactory()
    mobile = ContactFactory(bot=bot, phone="+5511933334444")
    post(client, bot, "in-1", "551133334444@wa.gw.msging.net")
    assert Contact.objects.exclude(pk=mobile.pk).get().phone == "+551133334444"


@pytest.mark.django_db(transaction=True)  # the command commits; R21 runs on commit
def test_R18_receive_message_accepts_an_identity_and_prints_the_contact(sent_to_ana, capsys):
    call_command("receive_message", sent_to_ana.bot.slug, OLD_NODE, "oi")
    contact = Contact.objects.get()
    contact_line, routing_line, assigned_line = capsys.readouterr().out.splitlines()
    assert contact_line == f"contact {contact.pk} {NEW}: matched by ninth_digit"
    assert routing_line.startswith("attendant (directive)")
    assert assigned_line == "assigned to ana@example.com"  # Ana is Online (R21)
    assert contact.whatsapp_identity == "551187654321@wa.gw.msging.net"
