"""Writes on contacts: the bulk move of contact states used by the sending engine."""

import pytest

from bots.models import ContactState
from bots.services import contact_move_to_block, contacts_move_to_block
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory

pytestmark = pytest.mark.django_db


def test_R11_contacts_move_to_block_creates_and_updates_states_in_one_upsert(
    django_assert_num_queries,
):
    bot, other = BotFactory(), BotFactory()
    block = FlowBlockFactory(bot=bot)
    moved, new = ContactFactory(bot=bot), ContactFactory(bot=bot)
    contact_move_to_block(contact=moved, bot=other, block=None)
    with django_assert_num_queries(1):
        contacts_move_to_block(contacts=[moved, new, new], bot=bot, block=block)
    states = ContactState.objects.filter(contact__in=[moved, new])
    assert sorted(states.values_list("contact_id", "bot_id", "block_id")) == [
        (moved.pk, bot.pk, block.pk),
        (new.pk, bot.pk, block.pk),
    ]
    assert ContactState.objects.count() == 2
