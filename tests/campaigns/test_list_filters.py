"""The campaign list: filters by status, date range, creator and name; overdue and scheduler."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.heartbeat import scheduler_beat
from campaigns.models import Campaign
from tests.bots.factories import BotFactory, UserFactory
from tests.campaigns.factories import CampaignFactory
from tests.campaigns.test_views import member

pytestmark = pytest.mark.django_db
LIST = reverse("campaigns:list")


def names(response) -> set[str]:
    return {c.name for c in response.context["campaigns"]}


@pytest.fixture
def bot(client):
    bot = BotFactory()
    member(client, bot)
    return bot


def test_search_by_name_ignores_case(client, bot):
    CampaignFactory(bot=bot, name="Black Friday 2025")
    CampaignFactory(bot=bot, name="Natal")
    assert names(client.get(LIST, {"q": "black"})) == {"Black Friday 2025"}


def test_filter_by_creator(client, bot):
    carla = UserFactory(first_name="Carla")
    CampaignFactory(bot=bot, name="Da Carla", created_by=carla)
    CampaignFactory(bot=bot, name="De outro", created_by=UserFactory())
    response = client.get(LIST, {"created_by": carla.pk})
    assert names(response) == {"Da Carla"}
    assert "Carla" in response.content.decode()


def test_filter_by_date_range_in_the_operators_time_zone(client, bot):
    # 02:30 UTC on the 10th is still the 9th in São Paulo (UTC-3).
    late_evening = dt.datetime(2025, 3, 10, 2, 30, tzinfo=dt.UTC)
    CampaignFactory(bot=bot, name="Noite do dia 9", dispatched_at=late_evening)
    CampaignFactory(
        bot=bot, name="Dia 12", scheduled=True, scheduled_at=late_evening + dt.timedelta(days=2)
    )
    assert names(client.get(LIST, {"date_from": "2025-03-09", "date_to": "2025-03-09"})) == {
        "Noite do dia 9"
    }
    assert names(client.get(LIST, {"date_from": "2025-03-10"})) == {"Dia 12"}


def test_reversed_date_range_says_so_and_filters_nothing(client, bot):
    CampaignFactory(bot=bot)
    response = client.get(LIST, {"date_from": "2025-03-10", "date_to": "2025-03-01"})
    assert response.context["filter_form"].errors["__all__"].as_data()[0].code == (
        "date_range_reversed"
    )
    assert len(response.context["campaigns"]) == 1


def test_filters_combine_and_pages_keep_them(client, bot):
    for i in range(30):
        CampaignFactory(bot=bot, name=f"Promo {i}", status=Campaign.Status.CANCELED)
    CampaignFactory(bot=bot, name="Promo agendada", scheduled=True)
    response = client.get(LIST, {"q": "promo", "status": "canceled"})
    assert len(response.context["campaigns"]) == 25
    page = response.content.decode()
    assert "q=promo&amp;status=canceled&amp;page=2" in page


def test_a_scheduled_campaign_late_by_minutes_says_so(client, bot):
    scheduler_beat(source="beat")
    CampaignFactory(
        bot=bot,
        status=Campaign.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=6),
    )
    CampaignFactory(
        bot=bot,
        status=Campaign.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
    )
    page = client.get(LIST).content.decode()
    assert page.count('data-code="schedule_overdue"') == 1


def test_list_warns_when_no_scheduler_ran_recently(client, bot):
    page = client.get(LIST).content.decode()
    assert 'data-code="scheduler_stale"' in page
    scheduler_beat(source="command", now=timezone.now() - dt.timedelta(minutes=10))
    assert 'data-code="scheduler_stale"' in client.get(LIST).content.decode()
    scheduler_beat(source="beat")
    assert 'data-code="scheduler_stale"' not in client.get(LIST).content.decode()
