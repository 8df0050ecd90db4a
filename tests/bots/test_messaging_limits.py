"""R26: the bot's messaging window, with a frozen clock across its 24-hour boundary."""

import datetime as dt

import pytest

from bots.messaging_limits import WINDOW, messaging_budget, window_admit
from bots.models import Bot, Contact
from tests.bots.factories import BotFactory, ContactFactory, SubBotFactory

pytestmark = pytest.mark.django_db


def contacts(bot, n: int, *, messaged_at=None, apart=dt.timedelta(0)) -> list[int]:
    """``n`` new contacts of ``bot``; in its window since ``messaged_at`` (each ``apart`` later
    than the one before) when given."""
    first = Contact.objects.count()
    made = Contact.objects.bulk_create(
        Contact(
            bot=bot,
            phone=f"+55119{first + i:08d}",
            last_active_message_at=messaged_at + i * apart if messaged_at else None,
        )
        for i in range(n)
    )
    return [c.pk for c in made]


def test_R26_unlimited_admits_everyone_and_still_counts_them_in_the_window(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.UNLIMITED)
    ids = contacts(bot, 300)
    admission = window_admit(bot=bot, contact_ids=ids)
    assert admission.admitted == ids and admission.deferred == {}
    assert Contact.objects.filter(last_active_message_at=clock.now).count() == 300
    assert messaging_budget(bot=bot).remaining is None


def test_R26_admits_up_to_the_limit_then_defers_with_when_each_slot_frees(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.TIER_250)
    start = clock.now - dt.timedelta(hours=20)
    old = contacts(bot, 248, messaged_at=start, apart=dt.timedelta(minutes=1))
    assert messaging_budget(bot=bot).remaining == 2
    new = contacts(bot, 5)
    admission = window_admit(bot=bot, contact_ids=new)
    assert admission.admitted == new[:2]
    # The three left wait for the three oldest of the window to leave it, 24 h after their send.
    assert admission.deferred == {
        new[2]: start + WINDOW,
        new[3]: start + dt.timedelta(minutes=1) + WINDOW,
        new[4]: start + dt.timedelta(minutes=2) + WINDOW,
    }
    assert messaging_budget(bot=bot).remaining == 0
    assert Contact.objects.get(pk=old[0]).last_active_message_at == start  # untouched


def test_R26_contacts_already_in_the_window_do_not_count_again(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.TIER_250)
    inside = contacts(bot, 250, messaged_at=clock.now - dt.timedelta(hours=1))
    assert messaging_budget(bot=bot).remaining == 0
    admission = window_admit(bot=bot, contact_ids=inside[:10])
    assert admission.admitted == inside[:10] and admission.deferred == {}
    assert messaging_budget(bot=bot).used == 250


def test_R26_the_window_frees_exactly_24_hours_after_each_send(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.TIER_250)
    contacts(bot, 250, messaged_at=clock.now)
    waiting = contacts(bot, 1)
    first = window_admit(bot=bot, contact_ids=waiting)
    assert first.admitted == [] and first.deferred == {waiting[0]: clock.now + WINDOW}
    clock.advance(hours=23, minutes=59, seconds=59)
    assert window_admit(bot=bot, contact_ids=waiting).admitted == []
    clock.advance(seconds=1)  # the 250 leave the window now
    assert window_admit(bot=bot, contact_ids=waiting).admitted == waiting
    assert messaging_budget(bot=bot).used == 1


def test_R26_a_long_queue_wraps_onto_the_next_days_slots(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.TIER_250)
    contacts(bot, 250, messaged_at=clock.now)
    # 300 contacts of other campaigns already wait: this one is 301st in line.
    admission = window_admit(bot=bot, contact_ids=contacts(bot, 1), queue_ahead=300)
    (until,) = admission.deferred.values()
    assert until == clock.now + 2 * WINDOW


def test_R26_a_sub_bot_spends_its_routers_window():
    sub = SubBotFactory(router__messaging_tier=Bot.MessagingTier.TIER_250)
    sub.messaging_tier = Bot.MessagingTier.UNLIMITED  # a sub-bot's own tier means nothing
    sub.save()
    ids = [ContactFactory(bot=sub.router).pk for _ in range(3)]
    assert sub.messaging_limit == 250
    window_admit(bot=sub, contact_ids=ids)
    assert messaging_budget(bot=sub.router).used == 3


def test_R26_budget_says_when_the_next_slot_frees(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.TIER_2K)
    contacts(bot, 3, messaged_at=clock.now - dt.timedelta(hours=5))
    contacts(bot, 2, messaged_at=clock.now - dt.timedelta(hours=30))  # out of the window
    budget = messaging_budget(bot=bot)
    assert (budget.limit, budget.used, budget.remaining) == (2000, 3, 1997)
    assert budget.next_slot_at == clock.now + dt.timedelta(hours=19)


def test_R26_tier_and_quality_are_kept_in_the_admin_of_the_channel_owner(client, clock):
    from django.urls import reverse

    from tests.bots.factories import UserFactory

    router = BotFactory(as_router=True, messaging_tier=Bot.MessagingTier.TIER_2K)
    sub = SubBotFactory(router=router)
    contacts(router, 3, messaged_at=clock.now)
    client.force_login(UserFactory(superuser=True))
    page = client.get(reverse("admin:bots_bot_change", args=[router.pk])).content.decode()
    assert 'name="messaging_tier"' in page and 'name="quality_rating"' in page
    assert "3 de 2.000 contatos" in page  # the window as the operator reads it
    page = client.get(reverse("admin:bots_bot_change", args=[sub.pk])).content.decode()
    assert 'name="messaging_tier"' not in page  # a sub-bot spends its router's window
