"""The attendant's tools through the test client: statuses, heartbeat, tags, notes, quick replies,
hold, the distribution mode and the supervisor board (R21, R24, R25)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bots.models import BotMembership, Message
from desk.models import AttendantStatusChange, Ticket, TicketNote
from tests.bots.factories import BotFactory, BotMembershipFactory, ContactFactory, UserFactory
from tests.desk.factories import (
    AttendantFactory,
    ClosingTagFactory,
    DeskSettingsFactory,
    PauseReasonFactory,
    QuickReplyFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    user = UserFactory(username="ana@example.com", first_name="Ana")
    BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.ATTENDANT)
    ana = AttendantFactory(bot=bot, user=user, teams=[team], slots=2)
    client.force_login(user)
    return type("Desk", (), {"bot": bot, "team": team, "ana": ana, "user": user})


def flashed(response) -> set[str]:
    return {tag for m in response.context["messages"] for tag in m.extra_tags.split()}


def mine(desk, **kwargs) -> Ticket:
    contact = ContactFactory(
        bot=desk.bot, name="Carla Dias", extras={"cidade": "BH"}, last_inbound_at=timezone.now()
    )
    return TicketFactory(
        bot=desk.bot, team=desk.team, contact=contact, open=True, attendant=desk.ana, **kwargs
    )


def test_a_pause_with_its_reason_is_recorded_with_who_and_when(client, desk):
    lunch = PauseReasonFactory(bot=desk.bot, name="Almoço")
    home = client.get(reverse("desk:home"))
    assert (f"pause:{lunch.pk}", "Pausa — Almoço") in home.context["statuses"]
    client.post(reverse("desk:status"), {"status": f"pause:{lunch.pk}"})
    desk.ana.refresh_from_db()
    assert (desk.ana.status, desk.ana.pause_reason) == ("pause", lunch)
    change = AttendantStatusChange.objects.get(attendant=desk.ana)
    assert (change.old_status, change.status, change.reason_name) == ("online", "pause", "Almoço")
    assert (change.source, change.changed_by) == ("desk", desk.user)
    page = client.get(reverse("desk:home"))
    assert page.context["status_value"] == f"pause:{lunch.pk}"
    assert b'data-testid="status-timer"' in page.content and "Almoço" in page.text


def test_a_pause_reason_of_another_bot_is_refused(client, desk):
    foreign = PauseReasonFactory(name="Reunião")
    response = client.post(reverse("desk:status"), {"status": f"pause:{foreign.pk}"}, follow=True)
    assert "pause_reason_other_bot" in flashed(response)
    desk.ana.refresh_from_db()
    assert desk.ana.status == "online"


def test_the_open_desk_page_sends_its_heartbeat(client, desk):
    page = client.get(reverse("desk:home"))
    assert b"data-heartbeat-url" in page.content
    assert client.post(reverse("desk:heartbeat")).status_code == 204
    desk.ana.refresh_from_db()
    assert desk.ana.last_seen_at is not None


def test_no_heartbeat_for_someone_who_is_no_attendant(client, desk):
    client.force_login(UserFactory())
    assert client.post(reverse("desk:heartbeat")).status_code in (302, 404)


def test_R21_the_bot_can_hide_attend_a_new_customer_in_automatic_mode(client, desk):
    settings = DeskSettingsFactory(bot=desk.bot, hide_attend_button=True)
    page = client.get(reverse("desk:home"))
    assert b'data-testid="attend-next"' not in page.content
    assert b'data-mode="automatic"' in page.content
    settings.distribution = "manual"
    settings.save()
    assert b'data-testid="attend-next"' in client.get(reverse("desk:home")).content


def test_R25_a_required_closing_tag_is_asked_before_closing(client, desk):
    DeskSettingsFactory(bot=desk.bot, closing_tag_required=True)
    sale = ClosingTagFactory(bot=desk.bot, name="Venda")
    foreign = ClosingTagFactory(name="Outro bot")
    ticket = mine(desk)
    url = reverse("desk:ticket_close", args=[desk.bot.slug, ticket.pk])
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk]))
    assert b'data-testid="closing-tags"' in page.content and b'data-required="1"' in page.content
    refused = client.post(url, {"tags": [str(foreign.pk), "x"]}, follow=True)
    assert "R25_closing_tag_required" in flashed(refused)
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    client.post(url, {"tags": [str(sale.pk)]})
    ticket.refresh_from_db()
    assert ticket.status == "closed_attendant"
    assert list(ticket.tags.all()) == [sale]


def test_R25_internal_notes_never_reach_the_customer(client, desk):
    ticket = mine(desk)
    before = Message.objects.count()
    client.post(
        reverse("desk:ticket_note", args=[desk.bot.slug, ticket.pk]),
        {"text": "Cliente pediu retorno amanhã"},
    )
    note = TicketNote.objects.get(ticket=ticket)
    assert (note.text, note.author) == ("Cliente pediu retorno amanhã", desk.user)
    assert Message.objects.count() == before  # nothing went to the gateway
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk]))
    assert "Cliente pediu retorno amanhã" in page.text
    empty = client.post(
        reverse("desk:ticket_note", args=[desk.bot.slug, ticket.pk]), {"text": "  "}, follow=True
    )
    assert "empty" in flashed(empty)


def test_R25_quick_replies_of_the_bot_and_the_team_filled_for_the_customer(client, desk):
    QuickReplyFactory(
        bot=desk.bot, title="Saudação", text="Olá, {first_name}! Tudo bem em {cidade}?"
    )
    QuickReplyFactory(bot=desk.bot, team=desk.team, title="Preço", text="{name}, o preço é R$ 10.")
    QuickReplyFactory(bot=desk.bot, team=TeamFactory(bot=desk.bot), title="Outra equipe")
    QuickReplyFactory(title="Outro bot")
    ticket = mine(desk)
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk]))
    replies = {q["title"]: q["text"] for q in page.context["quick_replies"]}
    assert replies == {
        "Saudação": "Olá, Carla! Tudo bem em BH?",
        "Preço": "Carla Dias, o preço é R$ 10.",
    }
    assert b'data-testid="quick-reply"' in page.content


def test_R24_hold_from_the_ticket_page(client, desk):
    ticket = mine(desk)
    url = reverse("desk:ticket_hold", args=[desk.bot.slug, ticket.pk])
    client.post(url, {"on_hold": "1"})
    assert Ticket.objects.get(pk=ticket.pk).on_hold is True
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk]))
    assert b'data-on-hold="1"' in page.content
    client.post(url, {"on_hold": "0"})
    assert Ticket.objects.get(pk=ticket.pk).on_hold is False


def test_someone_elses_ticket_has_no_tools(client, desk):
    other = TicketFactory(bot=desk.bot, team=desk.team, open=True)
    for name in ("desk:ticket_hold", "desk:ticket_note"):
        assert client.post(reverse(name, args=[desk.bot.slug, other.pk])).status_code == 404


def test_supervisor_board_figures(client, desk):
    boss = UserFactory()
    BotMembershipFactory(user=boss, bot=desk.bot, role=BotMembership.Role.ADMIN)
    client.force_login(boss)
    lunch = PauseReasonFactory(bot=desk.bot, name="Almoço")
    bruno = AttendantFactory(bot=desk.bot, teams=[desk.team], status="pause", pause_reason=lunch)
    bruno.status_changed_at = timezone.now() - dt.timedelta(minutes=12)
    bruno.save()
    mine(desk, unanswered_flagged_at=timezone.now())
    old = TicketFactory(bot=desk.bot, team=desk.team)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    TicketFactory(bot=desk.bot, team=desk.team)
    board = client.get(reverse("desk:supervisor_board"))
    (queue,) = [q for q in board.context["queues"] if q.team == desk.team]
    assert queue.count == 2
    assert timezone.now() - queue.oldest >= dt.timedelta(minutes=30)
    people = {a.pk: a for a in board.context["attendants"]}
    assert (people[desk.ana.pk].open_count, people[desk.ana.pk].unanswered) == (1, 1)
    assert people[bruno.pk].pause_reason == lunch
    assert b'data-testid="unanswered-flag"' in board.content
    assert "Almoço" in board.text and b'data-testid="longest-wait"' in board.content
