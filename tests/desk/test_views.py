"""The Desk pages and the simulator through the test client: access, actions, refusals."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bots.models import BotMembership, Message
from bots.services import contact_move_to_block
from desk.models import Ticket
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    ContactFactory,
    FlowBlockFactory,
    UserFactory,
)
from tests.desk.factories import AttendantFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    user = UserFactory(username="ana@example.com")
    BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.ATTENDANT)
    ana = AttendantFactory(bot=bot, user=user, teams=[team], slots=1)
    client.force_login(user)
    return type("Desk", (), {"bot": bot, "team": team, "ana": ana, "user": user})


def codes(response):
    return {tag for m in response.context["messages"] for tag in m.extra_tags.split()}


def test_home_shows_the_attend_button_and_counts(client, desk):
    TicketFactory(bot=desk.bot, team=desk.team)
    TicketFactory(bot=desk.bot, team=desk.team, requested_attendant=desk.ana)
    response = client.get(reverse("desk:home"))
    assert response.status_code == 200
    assert b'data-testid="attend-next"' in response.content
    assert response.context["waiting_directed"] == 1
    assert response.context["waiting_teams"] == 1
    fragment = client.get(reverse("desk:home_fragment"))
    assert fragment.status_code == 200 and b"waiting-directed" in fragment.content


def test_attend_next_opens_the_directed_ticket(client, desk):
    TicketFactory(bot=desk.bot, team=desk.team)
    directed = TicketFactory(bot=desk.bot, team=desk.team, requested_attendant=desk.ana)
    response = client.post(reverse("desk:attend_next"))
    assert response.status_code == 302
    assert response.url == reverse("desk:ticket", args=[desk.bot.slug, directed.pk])
    directed.refresh_from_db()
    assert (directed.status, directed.attendant) == ("open", desk.ana)


def test_attend_next_when_nothing_waits_says_so(client, desk):
    response = client.post(reverse("desk:attend_next"), follow=True)
    assert "nothing_waiting" in codes(response)


def test_attend_next_with_slots_full_says_so(client, desk):
    TicketFactory(bot=desk.bot, team=desk.team, status="open", attendant=desk.ana)
    TicketFactory(bot=desk.bot, team=desk.team)
    response = client.post(reverse("desk:attend_next"), follow=True)
    assert "slots_full" in codes(response)
    assert Ticket.objects.filter(status="waiting").count() == 1


def test_status_switch(client, desk):
    client.post(reverse("desk:status"), {"status": "pause"})
    desk.ana.refresh_from_db()
    assert desk.ana.status == "pause"
    response = client.post(reverse("desk:status"), {"status": "bogus"}, follow=True)
    assert "attendant_status" in codes(response)


def _open_ticket(desk, *, last_inbound_hours=1):
    contact = ContactFactory(
        bot=desk.bot, last_inbound_at=timezone.now() - dt.timedelta(hours=last_inbound_hours)
    )
    return TicketFactory(
        bot=desk.bot, team=desk.team, status="open", attendant=desk.ana, contact=contact
    )


def test_reply_sends_and_shows_in_the_history(client, desk):
    ticket = _open_ticket(desk)
    url = reverse("desk:ticket_reply", args=[desk.bot.slug, ticket.pk])
    client.post(url, {"text": "Olá!"})
    message = Message.objects.get(direction="out")
    assert (message.text, message.status) == ("Olá!", "sent")
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk]))
    assert page.context["can_reply"] is True
    assert message in page.context["history"]


def test_reply_box_explains_the_closed_24h_window(client, desk):
    ticket = _open_ticket(desk, last_inbound_hours=25)
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk]))
    assert page.context["can_reply"] is False
    assert page.context["reply_blocker"][0] == "window_closed"
    assert b'data-code="window_closed"' in page.content
    response = client.post(
        reverse("desk:ticket_reply", args=[desk.bot.slug, ticket.pk]), {"text": "x"}, follow=True
    )
    assert "window_closed" in codes(response)
    assert not Message.objects.filter(direction="out").exists()


def test_close_and_transfer(client, desk):
    ticket = _open_ticket(desk)
    other = TeamFactory(bot=desk.bot, name="Suporte")
    client.post(
        reverse("desk:ticket_transfer", args=[desk.bot.slug, ticket.pk]),
        {"target": f"team:{other.pk}"},
    )
    ticket.refresh_from_db()
    assert ticket.status == "transferred"
    assert ticket.transferred_to.team == other
    again = _open_ticket(desk)
    client.post(reverse("desk:ticket_close", args=[desk.bot.slug, again.pk]))
    again.refresh_from_db()
    assert again.status == "closed_attendant"


def test_attendant_cannot_open_a_colleagues_ticket(client, desk):
    bruno = AttendantFactory(bot=desk.bot, teams=[desk.team])
    ticket = TicketFactory(bot=desk.bot, team=desk.team, status="open", attendant=bruno)
    assert client.get(reverse("desk:ticket", args=[desk.bot.slug, ticket.pk])).status_code == 404
    url = reverse("desk:ticket_close", args=[desk.bot.slug, ticket.pk])
    assert client.post(url).status_code == 404


def test_supervisor_sees_every_queue_and_attendant(client, desk):
    assert client.get(reverse("desk:supervisor")).status_code == 404  # ana is no supervisor
    admin = UserFactory(username="chefe")
    BotMembershipFactory(user=admin, bot=desk.bot, role=BotMembership.Role.ADMIN)
    client.force_login(admin)
    directed = TicketFactory(bot=desk.bot, team=desk.team, requested_attendant=desk.ana)
    response = client.get(reverse("desk:supervisor"))
    assert response.status_code == 200
    queues = {q.team: q for q in response.context["queues"]}
    assert [line.pk for line in queues[desk.team].tickets] == [directed.pk]
    assert (queues[desk.team].count, queues[desk.team].oldest) == (1, directed.created_at)
    assert [a.pk for a in response.context["attendants"]] == [desk.ana.pk]
    assert client.get(reverse("desk:supervisor_board")).status_code == 200
    # A supervisor may open and transfer a directed ticket waiting for an Offline attendant.
    page = client.get(reverse("desk:ticket", args=[desk.bot.slug, directed.pk]))
    assert page.status_code == 200 and page.context["can_act"] is True


def as_operator(client, bot):
    user = UserFactory()
    BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.OPERATOR)
    client.force_login(user)
    return user


def test_simulator_reply_goes_through_the_pipeline(client, desk):
    as_operator(client, desk.bot)
    human = FlowBlockFactory(bot=desk.bot, human=True)
    contact = ContactFactory(bot=desk.bot, phone="+5511987654321")
    contact_move_to_block(contact=contact, bot=desk.bot, block=human)
    response = client.post(
        reverse("desk:simulator_send"),
        {"bot": desk.bot.slug, "phone": "11 98765-4321", "text": "Oi"},
        follow=True,
    )
    assert "default_team" in codes(response)
    message = Message.objects.get(direction="in")
    assert message.contact == contact and message.routing.reason_code == "default_team"
    log = client.get(
        reverse("desk:simulator_log"), {"bot": desk.bot.slug, "phone": "+5511987654321"}
    )
    assert message in log.context["history"]


def test_simulator_only_with_the_outbox_and_own_bots(client, desk, settings):
    as_operator(client, desk.bot)
    other = BotFactory()
    response = client.post(
        reverse("desk:simulator_send"), {"bot": other.slug, "phone": "+5511987654321", "text": "x"}
    )
    assert response.status_code == 404  # not one of the user's bots
    assert not Message.objects.exists()
    settings.WHATSAPP_GATEWAY = "blip"
    assert client.get(reverse("desk:simulator")).status_code == 404


def test_user_without_attendant_gets_an_explanation(client, desk):
    user = UserFactory(username="olga")
    BotMembershipFactory(user=user, bot=desk.bot, role=BotMembership.Role.OPERATOR)
    client.force_login(user)
    response = client.get(reverse("desk:home"))
    assert response.status_code == 200 and b'data-testid="not-attendant"' in response.content
    assert client.post(reverse("desk:attend_next")).status_code == 404


def test_attendants_get_no_simulator(client, desk):
    """Issue 13: an attendant could read a colleague's conversation and speak as the contact."""
    colleague = AttendantFactory(bot=desk.bot, teams=[desk.team])
    contact = ContactFactory(bot=desk.bot, phone="+5511987654321")
    TicketFactory(bot=desk.bot, team=desk.team, contact=contact, attendant=colleague)
    query = {"bot": desk.bot.slug, "phone": contact.phone}
    assert client.get(reverse("desk:simulator"), query).status_code == 404
    assert client.get(reverse("desk:simulator_log"), query).status_code == 404
    sent = client.post(reverse("desk:simulator_send"), {**query, "text": "Oi"})
    assert sent.status_code == 404
    assert not Message.objects.filter(contact=contact).exists()
    home = client.get(reverse("desk:home"))
    assert home.context["simulator_enabled"] is False
    assert reverse("desk:simulator").encode() not in home.content


def test_operator_simulator_is_scoped_to_their_bots(client, desk):
    other = BotFactory()
    BotMembershipFactory(
        bot=other, role=BotMembership.Role.ATTENDANT, user=as_operator(client, desk.bot)
    )
    # Attendant of the other bot only: the simulator does not speak there either.
    query = {"bot": other.slug, "phone": "+5511987654321", "text": "x"}
    assert client.post(reverse("desk:simulator_send"), query).status_code == 404
    page = client.get(reverse("desk:simulator"))
    assert [b.slug for b in page.context["sim_bots"]] == [desk.bot.slug]
