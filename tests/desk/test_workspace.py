"""The workspace's reads: my tickets with what waits for an answer, the queue, the details."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone

from bots.models import BotMembership
from desk import selectors, workspace
from desk.views_workspace import _preview
from tests.bots.factories import BotMembershipFactory, MessageFactory, UserFactory
from tests.campaigns.factories import RecipientFactory
from tests.desk.factories import AttendantFactory, TeamFactory, TicketFactory, TicketMessageFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def say(ticket, text, *, out=False, minutes_ago=0):
    message = MessageFactory(contact=ticket.contact, text=text, outbound=out)
    type(message).objects.filter(pk=message.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    TicketMessageFactory(ticket=ticket, message=message)


@pytest.fixture
def ana():
    user = UserFactory(username="ana@example.com")
    attendant = AttendantFactory(user=user, name="Ana Souza")
    BotMembershipFactory(user=user, bot=attendant.bot, role=BotMembership.Role.ATTENDANT)
    return attendant


def test_my_tickets_count_what_waits_for_my_answer_and_since_when(ana):
    answered = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    say(answered, "Oi", minutes_ago=9)
    say(answered, "Olá, em que posso ajudar?", out=True, minutes_ago=8)
    waiting = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    say(waiting, "Oi", minutes_ago=30)
    say(waiting, "Resposta", out=True, minutes_ago=20)
    say(waiting, "Quanto custa?", minutes_ago=12)
    say(waiting, "Alô?", minutes_ago=2)
    TicketFactory(bot=ana.bot, open=True)  # someone else's

    first, second = workspace.my_tickets(attendant=ana)
    assert (first.pk, first.unanswered, first.last_text) == (waiting.pk, 2, "Alô?")
    assert timezone.now() - first.waiting_since > dt.timedelta(minutes=11)
    assert (second.pk, second.unanswered, second.waiting_since) == (answered.pk, 0, None)
    assert second.last_direction == "out"


def _left_pane_world(ana):
    """Two open tickets (one with customers' messages after the answer), a queue of three."""
    team = ana.teams.get()
    waiting = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    say(waiting, "Oi", minutes_ago=30)
    say(waiting, "Resposta", out=True, minutes_ago=20)
    say(waiting, "Quanto custa?", minutes_ago=12)
    say(waiting, "Alô?", minutes_ago=2)
    quiet = TicketFactory(bot=ana.bot, open=True, attendant=ana)  # no message yet
    old = TicketFactory(bot=ana.bot, team=team)
    say(old, "Bom dia", minutes_ago=5)
    directed = TicketFactory(bot=ana.bot, team=TeamFactory(bot=ana.bot), requested_attendant=ana)
    TicketFactory(bot=ana.bot, team=team)
    TicketFactory(bot=ana.bot, team=TeamFactory(bot=ana.bot))  # not my team
    return waiting, quiet, old, directed


def _assert_left_pane(ana, world):
    waiting, quiet, old, directed = world
    mine, queue, counts = workspace.left_pane(attendant=ana)
    assert [t.pk for t in mine] == [waiting.pk, quiet.pk]
    assert (mine[0].unanswered, mine[0].last_text, mine[0].last_direction) == (2, "Alô?", "in")
    waited = timezone.now() - mine[0].waiting_since
    assert dt.timedelta(minutes=11) < waited < dt.timedelta(minutes=13)
    assert mine[0].last_answer_at < mine[0].waiting_since < mine[0].last_at
    assert (mine[1].unanswered, mine[1].last_text, mine[1].waiting_since) == (0, None, None)
    assert [t.pk for t in queue][:2] == [directed.pk, old.pk]
    first_of_team = queue[1]
    assert (first_of_team.last_text, first_of_team.unanswered) == ("Bom dia", 1)
    assert first_of_team.last_answer_at is None
    assert counts == {"directed": 1, "teams": 2}
    # The pane reads what the separate lists read.
    assert [t.pk for t in workspace.my_tickets(attendant=ana)] == [t.pk for t in mine]
    assert [t.pk for t in workspace.queue_for(attendant=ana)] == [t.pk for t in queue]


def test_the_left_pane_reads_activity_and_counts_in_one_go(ana, django_assert_num_queries):
    world = _left_pane_world(ana)
    with django_assert_num_queries(1):
        workspace.left_pane(attendant=ana)
    _assert_left_pane(ana, world)
    mine, queue, _counts = workspace.left_pane(attendant=ana)
    with django_assert_num_queries(0):  # what the pane prints came with the statement
        assert [(t.contact.name, t.contact.phone, t.team.name) for t in queue[1:2]] == [
            (world[2].contact.name, world[2].contact.phone, world[2].team.name)
        ]
        assert mine[0].created_at == world[0].created_at
    with django_assert_num_queries(1):  # a field it does not print is read when asked for
        assert mine[0].sequence == world[0].sequence


@pytest.mark.postgres
def test_the_left_pane_reads_the_same_on_postgresql(ana):
    require_postgres()
    _assert_left_pane(ana, _left_pane_world(ana))


def test_an_attendant_with_nothing_waiting_counts_zero(ana):
    assert workspace.left_pane(attendant=ana) == ([], [], {"directed": 0, "teams": 0})


def test_the_queue_offers_directed_tickets_first_and_only_my_teams(ana):
    team = ana.teams.get()
    other_team = TeamFactory(bot=ana.bot, name="Suporte")
    old = TicketFactory(bot=ana.bot, team=team)
    directed = TicketFactory(bot=ana.bot, team=other_team, requested_attendant=ana)
    TicketFactory(bot=ana.bot, team=other_team)  # not my team
    TicketFactory(bot=ana.bot, team=team, requested_attendant=AttendantFactory(bot=ana.bot))
    assert [t.pk for t in workspace.queue_for(attendant=ana)] == [directed.pk, old.pk]


def test_transfer_never_offers_the_attendant_herself(ana):
    bruno = AttendantFactory(bot=ana.bot, name="Bruno")
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    teams, people = workspace.transfer_choices(ticket=ticket, me=ana)
    assert people == [bruno]
    assert ticket.team in teams


def test_the_details_list_earlier_tickets_and_the_campaigns_that_reached_the_contact(ana):
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    earlier = TicketFactory(bot=ana.bot, contact=ticket.contact, status="closed_attendant")
    recipient = RecipientFactory(contact=ticket.contact, sent=True, campaign__bot=ana.bot)
    RecipientFactory(campaign__bot=ana.bot, sent=True)  # another contact
    assert workspace.previous_tickets(ticket=ticket) == [earlier]
    (reach,) = workspace.reached_by(contact=ticket.contact)
    assert (reach.label, reach.at) == (recipient.campaign.name, recipient.sent_at)


def test_the_ticket_page_has_three_panes_and_keeps_routing_out_of_the_bubbles(client, ana):
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana, routing_reason="regra X")
    say(ticket, "Quero comprar")
    client.force_login(ana.user)
    page = client.get(reverse("desk:ticket", args=[ana.bot.slug, ticket.pk])).content.decode()
    for pane in ('data-testid="my-tickets"', 'data-testid="conversation"', 'id="details"'):
        assert pane in page
    assert 'data-testid="message-routing"' not in page
    assert 'data-testid="routing-reason"' in page
    assert f'data-ticket="{ticket.pk}"' in page


def test_the_left_pane_fragment_marks_the_open_conversation(client, ana):
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    client.force_login(ana.user)
    url = reverse("desk:home_fragment") + f"?attendant={ana.pk}&ticket={ticket.pk}"
    fragment = client.get(url).content.decode()
    assert 'class="ws-ticket active' in fragment


def test_pages_open_their_socket_where_the_settings_say(client, ana, settings):
    client.force_login(ana.user)
    page = client.get(reverse("desk:home")).content.decode()
    assert f'data-desk-socket="/ws/desk/{ana.bot.slug}/attendant/{ana.pk}/"' in page
    assert 'data-desk-socket-base=""' in page
    settings.DESK_SOCKET_URL = "ws://127.0.0.1:8001"
    page = client.get(reverse("desk:home")).content.decode()
    assert 'data-desk-socket-base="ws://127.0.0.1:8001"' in page


def test_the_ticket_panel_explains_a_rule_in_words_not_field_names(client, ana):
    params = {
        "rule_name": "Compras",
        "matches": [{"field": "last_message", "relation": "contains", "values": ["comprar"]}],
    }
    ticket = TicketFactory(
        bot=ana.bot, open=True, attendant=ana, routing_code="rule", routing_params=params
    )
    client.force_login(ana.user)
    page = client.get(
        reverse("desk:ticket", args=[ana.bot.slug, ticket.pk]), HTTP_ACCEPT_LANGUAGE="pt-br"
    ).content.decode()
    assert "Última mensagem contém “comprar” (regra “Compras”)" in page
    assert "last_message" not in page


def test_every_reason_in_the_ticket_panel_starts_as_a_sentence(client, ana):
    ticket = TicketFactory(
        bot=ana.bot,
        open=True,
        attendant=ana,
        routing_code="open_ticket",
        routing_params={"ticket_id": 3},
    )
    client.force_login(ana.user)
    page = client.get(
        reverse("desk:ticket", args=[ana.bot.slug, ticket.pk]), HTTP_ACCEPT_LANGUAGE="pt-br"
    ).content.decode()
    assert 'data-testid="routing-reason">Entra no ticket aberto #3<' in page


@pytest.mark.parametrize(
    "text", [None, "", "Oi", "é" * 90, "e\u0301" * 60, "Quanto custa o plano? " * 10, "x" * 91]
)
def test_the_left_pane_previews_a_message_as_truncatechars_did(text):
    assert _preview(text) == truncatechars(text or "", 90)


def test_a_ticket_gets_its_people_from_its_desks_list(ana, django_assert_num_queries):
    bruno = AttendantFactory(bot=ana.bot, name="Bruno")
    elsewhere = AttendantFactory(name="Carla")  # another Desk's: not in the list
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana, requested_attendant=bruno)
    ticket = type(ticket).objects.get(pk=ticket.pk)
    ticket.meant_for_id = elsewhere.pk
    people = workspace.desk_people(bot_id=ana.bot_id)
    workspace.attach_people(ticket, people)
    with django_assert_num_queries(1):  # only the one from elsewhere
        assert (ticket.attendant, ticket.requested_attendant) == (ana, bruno)
        assert ticket.meant_for == elsewhere
    _teams, others = workspace.transfer_choices(ticket=ticket, me=ana, people=people)
    assert others == [bruno]
    as_template = Template("{{ a.name|default:a.email }} ({{ a.get_status_display }})")
    assert others[0].transfer_label == as_template.render(Context({"a": bruno}))


def test_the_conversation_labels_each_bubble_as_the_template_filters_did(ana):
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    say(ticket, "Oi", minutes_ago=3)
    say(ticket, "Olá!", out=True, minutes_ago=1)
    as_template = Template('{{ m.created_at|date:"d/m H:i" }}|{{ m.get_status_display }}')
    for message in selectors.conversation(contact=ticket.contact, routing=False):
        shown = as_template.render(Context({"m": message}))
        assert shown == f"{message.at_label}|{message.status_label}"


def _catalog_world(ana):
    """Two teams, pause reasons, closing tags and quick replies of Ana's bot, with others' and
    inactive ones mixed in; a ticket of hers in the second team."""
    from tests.desk.factories import ClosingTagFactory, PauseReasonFactory, QuickReplyFactory

    bot = ana.bot
    vendas, suporte = TeamFactory(bot=bot, name="Vendas"), TeamFactory(bot=bot, name="Suporte")
    TeamFactory(name="Alheia")  # another bot's
    PauseReasonFactory(bot=bot, name="Café", position=2)
    PauseReasonFactory(bot=bot, name="Almoço", position=1)
    PauseReasonFactory(bot=bot, name="Antiga", is_active=False)
    ClosingTagFactory(bot=bot, name="Venda")
    ClosingTagFactory(bot=bot, name="Dúvida")
    ClosingTagFactory(bot=bot, name="Velha", is_active=False)
    ClosingTagFactory(name="Alheia")
    QuickReplyFactory(bot=bot, title="Saudação", text="Olá, {first_name}!")
    QuickReplyFactory(bot=bot, title="Preço", team=suporte)
    QuickReplyFactory(bot=bot, title="Só vendas", team=vendas)
    return TicketFactory(bot=bot, open=True, attendant=ana, team=suporte)


def _assert_catalog(ana, ticket, django_assert_num_queries):
    with django_assert_num_queries(1):
        catalog = workspace.ticket_catalog(ticket=ticket)
    # The same lists, in the same order, as the ORM reads the catalog stands for.
    assert catalog.teams == list(selectors.Team.objects.filter(bot=ana.bot).order_by("name"))
    assert [t.name for t in catalog.teams if t.name != "Default"] == ["Suporte", "Vendas"]
    assert selectors.status_choices(attendant=ana) == selectors.status_choices(
        attendant=ana, reasons=catalog.pause_reasons
    )
    assert [name for _pk, name in catalog.pause_reasons] == ["Almoço", "Café"]
    assert [t.name for t in catalog.closing_tags] == ["Dúvida", "Venda"]
    assert catalog.closing_tags == list(
        selectors.ClosingTag.objects.filter(bot=ana.bot, is_active=True).order_by("name")
    )
    with_catalog = selectors.ticket_tools(
        ticket=ticket, mine=True, is_supervisor=False, catalog=catalog
    )
    plain = selectors.ticket_tools(ticket=ticket, mine=True, is_supervisor=False)
    assert with_catalog["quick_replies"] == plain["quick_replies"]
    assert [q["title"] for q in plain["quick_replies"]] == ["Preço", "Saudação"]
    assert workspace.ticket_catalog(ticket=ticket, replies=False).quick_replies == []


def test_the_ticket_catalog_reads_what_the_orm_reads_in_one_statement(
    ana, django_assert_num_queries
):
    _assert_catalog(ana, _catalog_world(ana), django_assert_num_queries)


@pytest.mark.postgres
def test_the_ticket_catalog_on_postgresql(ana, django_assert_num_queries):
    require_postgres()
    _assert_catalog(ana, _catalog_world(ana), django_assert_num_queries)


def test_previous_tickets_and_the_conversation_name_people_from_the_desks_list(
    ana, django_assert_num_queries
):
    bruno = AttendantFactory(bot=ana.bot, name="Bruno")
    elsewhere = AttendantFactory(name="Carla")  # another Desk's: read, once
    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    for holder in (bruno, elsewhere, None):
        old = TicketFactory(bot=ana.bot, contact=ticket.contact, status="closed_attendant")
        type(old).objects.filter(pk=old.pk).update(attendant=holder)
        message = MessageFactory(contact=ticket.contact, text=f"de {holder}", outbound=True)
        TicketMessageFactory(ticket=old, message=message, attendant=holder)
    say(ticket, "Oi")
    people = workspace.desk_people(bot_id=ana.bot_id)
    with django_assert_num_queries(2):  # the tickets, then Carla
        given = workspace.previous_tickets(ticket=ticket, people=people)
        holders = [t.attendant for t in given]
    joined = workspace.previous_tickets(ticket=ticket)
    assert [(t.pk, t.attendant) for t in given] == [(t.pk, t.attendant) for t in joined]
    assert set(holders) == {bruno, elsewhere, None}
    with django_assert_num_queries(2):
        history = selectors.conversation(contact=ticket.contact, routing=False, people=people)
        shown = [getattr(getattr(m, "ticket_link", None), "attendant", None) for m in history]
    plain = selectors.conversation(contact=ticket.contact, routing=False)
    assert shown == [getattr(getattr(m, "ticket_link", None), "attendant", None) for m in plain]


def _reaching_world(ana):
    from campaigns.models import DeskSend

    ticket = TicketFactory(bot=ana.bot, open=True, attendant=ana)
    sent = [
        RecipientFactory(contact=ticket.contact, sent=True, campaign__bot=ana.bot)
        for _ in range(6)  # one more than the panel shows
    ]
    RecipientFactory(contact=ticket.contact, campaign__bot=ana.bot)  # not sent
    DeskSend.objects.create(campaign=sent[2].campaign, attendant=ana, contact=ticket.contact)
    return ticket


def _assert_reaching(ticket):
    """The panel's statement reads what the ORM read (its former values_list) did."""
    from campaigns.desk_panel import SHOWN, _label
    from campaigns.models import Recipient

    rows = (
        Recipient.objects.filter(contact=ticket.contact, sent_at__isnull=False)
        .order_by("-sent_at", "-id")
        .values_list(
            "sent_at", "campaign__name", "campaign__template__name", "campaign__desk_send__id",
            "campaign__desk_send__attendant__name", "campaign__desk_send__attendant__email",
        )[:SHOWN]
    )  # fmt: skip
    expected = [
        (_label(name, template, sender if send else None), at)
        for at, name, template, send, *sender in rows
    ]
    reached = workspace.reached_by(contact=ticket.contact)
    assert [(r.label, r.at) for r in reached] == expected
    assert len(expected) == SHOWN and any("Ana Souza" in label for label, _at in expected)


def test_the_campaigns_that_reached_a_contact_read_as_the_orm_did(ana):
    _assert_reaching(_reaching_world(ana))


@pytest.mark.postgres
def test_the_campaigns_that_reached_a_contact_on_postgresql(ana):
    require_postgres()
    _assert_reaching(_reaching_world(ana))


def _assert_desk_people(ana):
    """The written statement reads every field as the ORM does, in the same order."""
    from desk.models import Attendant

    AttendantFactory(bot=ana.bot, name="Bruno", status="pause")
    AttendantFactory(bot=ana.bot, name="", email="zeca@example.com")
    AttendantFactory(name="Alheio")  # another Desk's
    Attendant.objects.filter(pk=ana.pk).update(
        last_seen_at=timezone.now(), status_changed_at=timezone.now() - dt.timedelta(hours=2)
    )
    fields = [f.attname for f in Attendant._meta.concrete_fields]
    orm = Attendant.objects.filter(bot_id=ana.bot_id).order_by("name", "email")
    read = workspace.desk_people(bot_id=ana.bot_id)
    as_rows = [[getattr(a, name) for name in fields] for a in read]
    assert as_rows == [[getattr(a, name) for name in fields] for a in orm]
    (me,) = [a for a in read if a.pk == ana.pk]
    assert len(read) == 3 and me.last_seen_at.tzinfo is not None


def test_the_desks_people_read_as_the_orm_does(ana):
    _assert_desk_people(ana)


@pytest.mark.postgres
def test_the_desks_people_on_postgresql(ana):
    require_postgres()
    _assert_desk_people(ana)
