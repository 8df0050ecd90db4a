"""The blip backend of the gateway against the loopback fake Blip server."""

import pytest

from bots.gateway import PermanentGatewayError, get_gateway
from bots.gateway.blip_backend import BlipGateway
from bots.gateway.outbox import OutboxGateway
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory, SubBotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(fake_blip):
    return fake_blip


def test_get_gateway_chooses_the_backend_from_settings(settings):
    settings.WHATSAPP_GATEWAY = "outbox"
    assert isinstance(get_gateway(), OutboxGateway)
    settings.WHATSAPP_GATEWAY = "blip"
    assert isinstance(get_gateway(), BlipGateway)
    with pytest.raises(ValueError):
        get_gateway("carrier-pigeon")


def test_send_template_goes_to_the_resolved_identity(fake):
    bot = BotFactory(blip_api_key="router-key")
    contact = ContactFactory(bot=bot, phone="+5511987654321")
    fake.set_identity(contact.phone, "abc123@wa.gw.msging.net")
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]
    gateway_id = get_gateway().send_template(
        bot=bot,
        contact=contact,
        message_id="m-1",
        template_name="oferta",
        language="pt_BR",
        components=components,
    )
    assert gateway_id == "m-1"
    lookup = fake.commands[0]
    assert lookup["uri"] == "lime://wa.gw.msging.net/accounts/+5511987654321"
    message = fake.messages[0]
    assert message["to"] == "abc123@wa.gw.msging.net"
    assert message["type"] == "application/json"
    assert message["content"]["template"]["name"] == "oferta"
    assert message["content"]["template"]["components"] == components
    assert fake.requests[-1].headers["authorization"] == "Key router-key"
    assert fake.sent_message_ids() == ["m-1"]


def test_identity_is_looked_up_once_per_contact(fake):
    bot = BotFactory()
    contact = ContactFactory(bot=bot)
    gateway = get_gateway()
    for n in range(2):
        gateway.send_text(bot=bot, contact=contact, message_id=f"t{n}", text="oi")
    assert len(fake.commands) == 1
    assert fake.sent_message_ids() == ["t0", "t1"]


def test_set_context_under_a_router_sets_master_state_then_the_block(fake):
    router = BotFactory(as_router=True, blip_api_key="router-key")
    vendas = SubBotFactory(router=router, blip_address="vendas@msging.net", blip_flow_id="f-1")
    block = FlowBlockFactory(bot=vendas, human=True)
    contact = ContactFactory(bot=router)
    get_gateway().set_context(bot=router, contact=contact, target_bot=vendas, block=block)
    identity = contact.phone.removeprefix("+") + "@wa.gw.msging.net"
    assert fake.context(identity) == {
        "Master-State": "vendas@msging.net",
        "stateid@f-1": block.block_id,
    }
    uris = [c["uri"] for c in fake.commands[1:]]
    assert uris == [f"/contexts/{identity}/Master-State", f"/contexts/{identity}/stateid@f-1"]
    assert {r.headers["authorization"] for r in fake.requests} == {"Key router-key"}


def test_set_context_of_a_stand_alone_bot_only_sets_the_block(fake):
    bot = BotFactory(blip_flow_id="flow-x")
    block = FlowBlockFactory(bot=bot)
    contact = ContactFactory(bot=bot)
    get_gateway().set_context(bot=bot, contact=contact, target_bot=bot, block=block)
    identity = contact.phone.removeprefix("+") + "@wa.gw.msging.net"
    assert fake.context(identity) == {"stateid@flow-x": block.block_id}


def test_sub_bot_without_blip_address_is_a_permanent_error(fake):
    router = BotFactory(as_router=True)
    sub = SubBotFactory(router=router, blip_address="")
    with pytest.raises(PermanentGatewayError):
        get_gateway().set_context(
            bot=router, contact=ContactFactory(bot=router), target_bot=sub, block=None
        )


def test_bot_without_api_key_is_a_permanent_error(fake):
    bot = BotFactory(blip_api_key="")
    with pytest.raises(PermanentGatewayError):
        get_gateway().send_text(bot=bot, contact=ContactFactory(bot=bot), message_id="x", text="oi")
    assert fake.requests == []


def test_R18_the_identity_a_send_resolves_is_kept_on_the_contact(fake):
    bot = BotFactory()
    contact = ContactFactory(bot=bot, phone="+5511987654321")
    fake.set_identity(contact.phone, "551187654321@wa.gw.msging.net")
    get_gateway().send_text(bot=bot, contact=contact, message_id="t1", text="oi")
    contact.refresh_from_db()
    assert contact.whatsapp_identity == "551187654321@wa.gw.msging.net"
    assert fake.messages[0]["to"] == "551187654321@wa.gw.msging.net"


def test_R18_a_contact_with_an_identity_on_record_needs_no_lookup(fake):
    bot = BotFactory()
    contact = ContactFactory(bot=bot, whatsapp_identity="551187654321@wa.gw.msging.net")
    get_gateway().send_text(bot=bot, contact=contact, message_id="t1", text="oi")
    assert fake.commands == []
    assert fake.messages[0]["to"] == "551187654321@wa.gw.msging.net"


def test_R18_an_identity_held_by_another_row_is_left_for_the_merge(fake):
    bot = BotFactory()
    twin = ContactFactory(bot=bot, phone="+551187654321", whatsapp_identity="x1@wa.gw.msging.net")
    contact = ContactFactory(bot=bot, phone="+5511987654321")
    fake.set_identity(contact.phone, "x1@wa.gw.msging.net")
    get_gateway().send_text(bot=bot, contact=contact, message_id="t1", text="oi")
    contact.refresh_from_db()
    twin.refresh_from_db()
    assert (contact.whatsapp_identity, twin.whatsapp_identity) == ("", "x1@wa.gw.msging.net")
    assert fake.sent_message_ids() == ["t1"]  # the send itself goes on
