"""The supervisor board narrowed to one team, with each team's customers in attendance."""

import pytest
from django.urls import reverse

from bots.models import BotMembership
from tests.bots.factories import BotMembershipFactory, UserFactory
from tests.desk.factories import AttendantFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_the_board_counts_open_tickets_per_team_and_filters_by_team(client):
    vendas = TeamFactory(name="Vendas")
    suporte = TeamFactory(bot=vendas.bot, name="Suporte")
    ana = AttendantFactory(bot=vendas.bot, teams=[vendas], name="Ana")
    bia = AttendantFactory(bot=vendas.bot, teams=[suporte], name="Bia")
    TicketFactory(bot=vendas.bot, team=vendas, open=True, attendant=ana)
    TicketFactory(bot=vendas.bot, team=vendas, open=True, attendant=ana)
    TicketFactory(bot=vendas.bot, team=vendas)
    TicketFactory(bot=vendas.bot, team=suporte, open=True, attendant=bia)
    boss = UserFactory()
    BotMembershipFactory(user=boss, bot=vendas.bot, role=BotMembership.Role.ADMIN)
    client.force_login(boss)

    everyone = client.get(reverse("desk:supervisor")).context
    counts = {q.team.name: (q.count, q.open) for q in everyone["queues"]}
    assert counts["Vendas"] == (1, 2) and counts["Suporte"] == (0, 1)
    assert {a.name for a in everyone["attendants"]} == {"Ana", "Bia"}

    narrowed = client.get(reverse("desk:supervisor"), {"team": suporte.pk}).context
    assert [q.team for q in narrowed["queues"]] == [suporte]
    assert [a.name for a in narrowed["attendants"]] == ["Bia"]
    board = client.get(reverse("desk:supervisor_board"), {"team": suporte.pk}).content.decode()
    assert f'data-team="{vendas.pk}"' not in board and f'data-team="{suporte.pk}"' in board


def test_another_bots_team_narrows_the_board_to_nothing(client):
    mine, theirs = TeamFactory(name="Vendas"), TeamFactory(name="Deles")
    TicketFactory(bot=theirs.bot, team=theirs)
    boss = UserFactory()
    BotMembershipFactory(user=boss, bot=mine.bot, role=BotMembership.Role.ADMIN)
    client.force_login(boss)
    context = client.get(reverse("desk:supervisor"), {"team": theirs.pk}).context
    assert context["queues"] == [] and context["waiting_total"] == 0
    assert context["attendants"] == []
