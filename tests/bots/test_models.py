import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from bots.access import bot_ids_for, scope, top_level_bots_for
from bots.models import Bot, Contact, FlowBlock, mask_secret
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    ContactFactory,
    ContactStateFactory,
    FlowBlockFactory,
    SubBotFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    from bots.errors import error_codes

    return error_codes(error)


def assert_db_refuses(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_sub_bot_parent_must_be_a_router():
    parent = BotFactory()  # a stand-alone bot, not a router
    sub = Bot(slug="s", name="S", router=parent, service_name="s", whatsapp_number="")
    with pytest.raises(ValidationError) as error:
        sub.full_clean()
    assert "parent_not_router" in codes(error.value)


def test_router_cannot_have_a_parent():
    router = BotFactory(as_router=True)
    assert_db_refuses(
        lambda: BotFactory(as_router=True, router=router, service_name="x", whatsapp_number="")
    )


def test_sub_bot_needs_service_name_and_no_channel():
    router = BotFactory(as_router=True)
    assert_db_refuses(
        lambda: Bot.objects.create(slug="a", name="A", router=router, service_name="")
    )
    assert_db_refuses(
        lambda: Bot.objects.create(
            slug="b", name="B", router=router, service_name="b", whatsapp_number="+5511"
        )
    )


def test_one_main_service_per_router():
    sub = SubBotFactory(is_main_service=True)
    assert_db_refuses(lambda: SubBotFactory(router=sub.router, is_main_service=True))


def test_service_name_unique_per_router():
    sub = SubBotFactory(service_name="vendas")
    assert_db_refuses(lambda: SubBotFactory(router=sub.router, service_name="vendas"))
    SubBotFactory(service_name="vendas")  # another router may reuse the name


def test_sub_bot_fields_only_on_sub_bots():
    bot = BotFactory.build(uses_router_context=True)
    with pytest.raises(ValidationError) as error:
        bot.full_clean()
    assert "sub_bot_fields_without_router" in codes(error.value)


def test_whatsapp_connection_follows_the_router():
    sub = SubBotFactory()
    assert sub.is_connected_to_whatsapp
    sub.router.whatsapp_number = ""
    assert not sub.is_connected_to_whatsapp


def test_router_has_no_flow_blocks():
    router = BotFactory(as_router=True)
    block = FlowBlock(bot=router, block_id="inicio", name="Início")
    with pytest.raises(ValidationError) as error:
        block.full_clean()
    assert "router_has_no_blocks" in codes(error.value)


@pytest.mark.parametrize(("block_id", "kind"), [("desk:vendas", "human"), ("inicio", "standard")])
def test_block_kind_follows_its_id(block_id, kind):
    assert FlowBlockFactory(block_id=block_id).kind == kind


def test_block_kind_and_id_cannot_disagree_in_the_database():
    block = FlowBlockFactory(block_id="inicio")
    assert_db_refuses(lambda: FlowBlock.objects.filter(pk=block.pk).update(kind="human"))


def test_block_id_unique_per_bot():
    block = FlowBlockFactory()
    assert_db_refuses(lambda: FlowBlockFactory(bot=block.bot, block_id=block.block_id))


def test_contact_phone_unique_per_bot_and_e164():
    contact = ContactFactory()
    assert_db_refuses(lambda: ContactFactory(bot=contact.bot, phone=contact.phone))
    assert_db_refuses(lambda: ContactFactory(phone="11999998888"))


def test_contacts_belong_to_the_router_not_a_sub_bot():
    sub = SubBotFactory()
    with pytest.raises(ValidationError) as error:
        Contact(bot=sub, phone="+5511999998888").full_clean()
    assert "contact_on_sub_bot" in codes(error.value)


def test_contact_extras_are_a_string_map():
    contact = ContactFactory.build(extras={"cidade": 3})
    with pytest.raises(ValidationError) as error:
        contact.full_clean()
    assert "extras_not_string_map" in codes(error.value)


def test_contact_state_block_must_be_of_its_bot():
    state = ContactStateFactory(block=FlowBlockFactory())
    with pytest.raises(ValidationError) as error:
        state.full_clean()
    assert "block_other_bot" in codes(error.value)


def test_secrets_are_masked_and_never_printed():
    bot = BotFactory(blip_api_key="Key-abcdefghijklmnop")
    assert "abcdefgh" not in bot.masked_api_key
    assert bot.webhook_secret not in bot.masked_webhook_secret
    assert bot.blip_api_key not in str(bot) and bot.blip_api_key not in repr(bot)
    assert mask_secret("") == "—"


def test_membership_on_router_covers_its_sub_bots():
    sub = SubBotFactory()
    other = BotFactory()
    membership = BotMembershipFactory(bot=sub.router, role="operator")
    ids = bot_ids_for(membership.user)
    assert ids == {sub.router.pk, sub.pk}
    assert set(scope(Bot.objects.all(), membership.user, path="")) == {sub.router, sub}
    assert list(top_level_bots_for(membership.user)) == [sub.router]
    assert other.pk not in ids


def test_superuser_sees_everything_and_anonymous_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert bot_ids_for(UserFactory(superuser=True)) is None
    assert bot_ids_for(AnonymousUser()) == set()
