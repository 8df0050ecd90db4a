"""How the portal shows phones, bots and elapsed time (pt-BR)."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from bots.templatetags.portal_format import (
    bot_label,
    day_month,
    person,
    phone,
    short_day,
    since,
    waited,
)
from tests.bots.factories import BotFactory, ContactFactory, SubBotFactory


def ago(**delta):
    return timezone.now() - dt.timedelta(**delta)


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ({"seconds": 20}, "agora"),
        ({"minutes": 1, "seconds": 5}, "há 1 min"),
        ({"minutes": 42}, "há 42 min"),
        ({"hours": 1, "minutes": 3}, "há 1 hora"),
        ({"hours": 5}, "há 5 horas"),
        ({"days": 1, "hours": 2}, "há 1 dia"),
        ({"days": 3}, "há 3 dias"),
    ],
)
def test_since_speaks_like_people(moment, shown):
    # The moment is taken when the test runs: a slow suite must not age it.
    assert since(ago(**moment)) == shown
    assert since(None) == ""


def test_since_in_english():
    with translation.override("en"):
        assert (since(ago(seconds=3)), since(ago(hours=2))) == ("now", "2 hours ago")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ({"seconds": 5}, "1 min"),
        ({"minutes": 42}, "42 min"),
        ({"hours": 2, "minutes": 5}, "2 h 05 min"),
    ],
)
def test_waited_is_compact(moment, shown):
    assert waited(ago(**moment)) == shown


@pytest.mark.django_db
def test_people_and_bots_by_name_not_slug():
    assert phone("+5511987654321") == "+55 11 98765-4321"
    assert person(ContactFactory.build(name="", phone="+5511987654321")) == "+55 11 98765-4321"
    assert person(ContactFactory.build(name="Carla", phone="+5511987654321")) == "Carla"
    sub = SubBotFactory(name="Vendas", router__name="Demo Router")
    assert bot_label(sub) == "Demo Router › Vendas"
    assert bot_label(BotFactory(name="Loja")) == "Loja"


def test_dates_with_month_names_in_portuguese_style():
    moment = dt.datetime(2026, 11, 29, 20, 47, tzinfo=dt.UTC)  # 17:47 in São Paulo
    assert day_month(moment) == "29 de novembro, 17:47"
    assert short_day(moment) == "29 nov 2026"
    with translation.override("en"):
        assert day_month(moment) == "November 29, 17:47"
