"""bots/access.py reads a user's bots, roles and sub-bots in one query and answers every later
question of the request from that read."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bots.access import bot_ids_for, family_ids, has_role, top_level_bot_list
from bots.models import Bot, BotMembership
from tests.bots.factories import BotFactory, BotMembershipFactory, SubBotFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = BotMembership.Role


@pytest.fixture
def world():
    """A router with two sub-bots (operator), a stand-alone bot (attendant), and bots the user
    has nothing to do with: someone else's bot and router with its sub-bot."""
    user = UserFactory()
    router = BotFactory(as_router=True, slug="m-router")
    subs = [SubBotFactory(router=router, slug="z-sub"), SubBotFactory(router=router, slug="a-sub")]
    alone = BotFactory(slug="b-alone")
    BotMembershipFactory(user=user, bot=router, role=Role.OPERATOR)
    BotMembershipFactory(user=user, bot=alone, role=Role.ATTENDANT)
    stranger = UserFactory()
    BotMembershipFactory(user=stranger, bot=BotFactory(), role=Role.ADMIN)
    BotMembershipFactory(user=stranger, bot=SubBotFactory().router, role=Role.ADMIN)
    return {"user": fresh(user), "router": router, "subs": subs, "alone": alone}


def fresh(user):
    """The user as a new request sees it: no memo yet."""
    return get_user_model().objects.get(pk=user.pk)


def test_every_question_of_a_request_is_answered_by_one_query(world):
    user, router, alone = world["user"], world["router"], world["alone"]
    a_sub, z_sub = sorted(world["subs"], key=lambda b: b.slug)
    with CaptureQueriesContext(connection) as queries:
        assert [b.slug for b in top_level_bot_list(user)] == ["b-alone", "m-router"]
        assert bot_ids_for(user) == {router.pk, a_sub.pk, z_sub.pk, alone.pk}
        assert bot_ids_for(user, [Role.OPERATOR]) == {router.pk, a_sub.pk, z_sub.pk}
        assert bot_ids_for(user, [Role.ADMIN]) == set()
        assert has_role(user, z_sub, [Role.OPERATOR]) and not has_role(user, alone, [Role.ADMIN])
        listed = {b.slug: b for b in top_level_bot_list(user)}
        # The switcher's bots know their sub-bots, in slug order, as family_ids() reads them.
        assert family_ids(listed["m-router"]) == [router.pk, a_sub.pk, z_sub.pk]
        assert family_ids(listed["b-alone"]) == [alone.pk]
    assert len(queries.captured_queries) == 1


def test_family_ids_of_the_listed_bots_match_a_fresh_read(world):
    for bot in top_level_bot_list(world["user"]):
        assert family_ids(bot) == family_ids(Bot.objects.get(pk=bot.pk))


def test_a_user_without_memberships_has_no_bots():
    user = fresh(UserFactory())
    BotFactory()
    assert top_level_bot_list(user) == [] and bot_ids_for(user) == set()


def test_inactive_users_and_superusers_keep_their_answers(world):
    user = world["user"]
    user.is_active = False
    assert top_level_bot_list(user) == [] and bot_ids_for(user) == set()
    boss = fresh(UserFactory(superuser=True))
    assert bot_ids_for(boss) is None
    assert [b.pk for b in top_level_bot_list(boss)] == list(
        Bot.objects.filter(router__isnull=True).values_list("pk", flat=True)
    )


def test_a_membership_on_a_sub_bot_still_counts_for_that_sub_bot(world):
    """The admin refuses it (BotMembership.clean), but a row written around it behaves as before:
    the sub-bot is the user's under that role; its router's role still decides has_role()."""
    sub = world["subs"][0]
    BotMembership.objects.create(user=world["user"], bot=sub, role=Role.ADMIN)
    user = fresh(world["user"])
    assert sub.pk in bot_ids_for(user, [Role.ADMIN])
    assert has_role(user, sub, [Role.OPERATOR]) and not has_role(user, sub, [Role.ADMIN])
    assert sub.pk not in [b.pk for b in top_level_bot_list(user)]


def test_a_page_named_by_a_bot_the_user_has_no_role_on_is_not_found(client, world):
    from tests.desk.factories import AttendantFactory, TicketFactory

    alone = world["alone"]
    attendant = AttendantFactory(bot=alone, user=world["user"])
    ticket = TicketFactory(bot=alone, open=True, attendant=attendant)
    client.force_login(world["user"])
    assert client.get(reverse("desk:ticket", args=[alone.slug, ticket.pk])).status_code == 200
    for slug in (BotFactory().slug, world["subs"][0].slug, "no-such-bot"):
        assert client.get(reverse("desk:ticket", args=[slug, ticket.pk])).status_code == 404


def test_the_query_names_the_models_tables():
    from bots.access import _ACCESS_SQL

    assert f"FROM {Bot._meta.db_table} bot" in _ACCESS_SQL
    assert f"JOIN {BotMembership._meta.db_table} own" in _ACCESS_SQL
