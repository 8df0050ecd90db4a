"""The supervisor board narrowed to one team, with each team's customers in attendance."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext, override

from bots.models import BotMembership
from bots.phones import format_phone
from bots.templatetags.portal_format import waited
from tests.bots.factories import BotMembershipFactory, ContactFactory, UserFactory
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


def test_a_waiting_line_says_who_for_whom_and_since_when(client):
    """The board's lines, worked out in the selector: the link, the contact's name with the
    phone beside it (or the phone alone), the attendant asked for, escaped, and the wait."""
    team = TeamFactory(name="Vendas")
    bot = team.bot
    ana = AttendantFactory(bot=bot, teams=[team], name="Ana & Bia", paused=True)
    named = TicketFactory(
        bot=bot, team=team, requested_attendant=ana, contact=ContactFactory(bot=bot, name="Caio")
    )
    nameless = TicketFactory(bot=bot, team=team, contact=ContactFactory(bot=bot, name=""))
    flagged = TicketFactory(bot=bot, team=team, open=True, attendant=ana)
    flagged.unanswered_flagged_at = timezone.now()
    flagged.save()
    TicketFactory(bot=bot, team=team, open=True, attendant=ana)
    boss = UserFactory()
    BotMembershipFactory(user=boss, bot=bot, role=BotMembership.Role.ADMIN)
    client.force_login(boss)

    response = client.get(reverse("desk:supervisor"))
    page = response.content.decode()
    with override("pt-br"):
        for_ana = gettext("for %(who)s") % {"who": "Ana & Bia"}
        since = gettext("waiting for %(since)s") % {"since": waited(named.created_at)}
        paused = str(ana.get_status_display())
    link = reverse("desk:ticket", args=[bot.slug, named.pk])
    assert f'<a href="{link}"><strong>#{named.sequence}</strong> Caio</a>' in page
    assert f'<span class="muted nowrap">{format_phone(named.contact.phone)}</span>' in page
    assert f'<span class="status-badge warn">{escape(for_ana)} · {paused}</span>' in page
    assert escape(since) in page
    phone = format_phone(nameless.contact.phone)
    assert f"<strong>#{nameless.sequence}</strong> {phone}</a>\n" in page
    (row,) = response.context["attendants"]
    assert (row.open_count, row.unanswered) == (2, 1)
    # Narrowed to a team, the filter still offers every team of the bot.
    other = TeamFactory(bot=bot, name="Suporte")
    narrowed = client.get(reverse("desk:supervisor"), {"team": other.pk}).context
    assert [q.team for q in narrowed["queues"]] == [other]
    assert {t.name for t in narrowed["board_teams"]} >= {"Suporte", "Vendas"}
