"""Issue 10 item 5 and item 1, as the attendant reads them: plurals, one navigation bar, and a
clearly dangerous, confirmed *Encerrar atendimento*."""

import re

import pytest
from django.urls import reverse

from bots.models import BotMembership
from tests.bots.factories import BotMembershipFactory, UserFactory
from tests.desk.factories import AttendantFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(client):
    user = UserFactory(username="ana@example.com")
    attendant = AttendantFactory(user=user, name="Ana Souza", status="pause")
    BotMembershipFactory(user=user, bot=attendant.bot, role=BotMembership.Role.ATTENDANT)
    client.force_login(user)
    return attendant


def directed_counter(client, ana) -> str:
    url = reverse("desk:home_fragment") + f"?attendant={ana.pk}"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    counter = re.search(r'data-testid="waiting-directed"[^>]*>(.*?)</span>', page, re.S)
    return re.sub(r"<[^>]+>", "", counter.group(1)).strip()


def test_directed_counts_agree_in_number_in_portuguese(client, ana):
    team = ana.teams.get()
    TicketFactory(bot=ana.bot, team=team, requested_attendant=ana)
    assert directed_counter(client, ana) == "1 direcionado a você"
    TicketFactory(bot=ana.bot, team=team, requested_attendant=ana)
    assert directed_counter(client, ana) == "2 direcionados a você"


def test_the_desk_has_one_navigation_bar_and_a_confirmed_dangerous_close(client, ana):
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    url = reverse("desk:ticket", args=[ana.bot.slug, ticket.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert page.count('<nav class="portal-nav"') == 1
    close = re.search(r'<form[^>]*class="close-form"[^>]*>', page).group(0)
    assert 'data-confirm="Encerrar este atendimento?' in close
    button = re.search(r'<button[^>]*data-testid="close-ticket"[^>]*>([^<]*)<', page)
    assert 'class="button danger"' in button.group(0)
    assert button.group(1) == "Encerrar atendimento"
