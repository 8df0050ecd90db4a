"""What the pages of bench/pages.py cost in SQL: a fixed number of queries, whatever the data.

Each page is opened on a small world, then on the same world with many more rows of what it
shows (campaigns, recipients, tickets, messages, teams, attendants): the count must not move,
and it is pinned, so a query added to a page shows up here first. The layout's share (session,
user, the user's bots and roles) is read once per request, in three queries (bots/access.py).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bots.models import BotMembership
from campaigns.models import Campaign
from campaigns.reporting.rollup import campaign_results_refresh
from tests.bots.factories import BotFactory, BotMembershipFactory, MessageFactory, UserFactory
from tests.campaigns.factories import CampaignFactory, MessageTemplateFactory, RecipientFactory
from tests.desk.factories import (
    AttendantFactory,
    TeamFactory,
    TeamMembershipFactory,
    TicketFactory,
    TicketMessageFactory,
)

pytestmark = pytest.mark.django_db
Role = BotMembership.Role

# The queries of each page, pinned (session + user + the user's bots with their roles and
# sub-bots are the first three of every one of them).
PINNED = {
    "campaign list": 8,
    "campaign detail": 7,
    "campaign report": 7,
    "wizard step 1": 6,
    "Desk home": 8,
    "ticket": 14,
    "supervisor board": 10,
}


def queries(client, url) -> int:
    client.get(url)  # the first visit may remember the current bot in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def person(client, bot, role):
    user = UserFactory(staff=role != Role.ATTENDANT)
    BotMembershipFactory(user=user, bot=bot, role=role)
    client.force_login(user)
    return user


def sent_campaign(bot, recipients: int, **fields) -> Campaign:
    campaign = CampaignFactory(bot=bot, status=Campaign.Status.SENT, bulk=True, **fields)
    for n in range(recipients):
        RecipientFactory(
            campaign=campaign,
            status=("read", "replied", "failed", "delivered")[n % 4],
            failure_reason="recusada" if n % 4 == 2 else "",
        )
    campaign_results_refresh(campaign=campaign)
    return campaign


def test_campaign_list_costs_the_same_for_3_or_30_campaigns(client):
    bot = BotFactory()
    person(client, bot, Role.OPERATOR)
    for _ in range(3):
        sent_campaign(bot, 2)
    few = queries(client, reverse("campaigns:list"))
    for _ in range(27):
        sent_campaign(bot, 1, created_by=UserFactory())
    assert queries(client, reverse("campaigns:list")) == few == PINNED["campaign list"]


def test_campaign_detail_costs_the_same_for_3_or_60_recipients(client):
    bot = BotFactory()
    person(client, bot, Role.OPERATOR)
    campaign = sent_campaign(bot, 3)
    url = reverse("campaigns:detail", args=[campaign.pk])
    few = queries(client, url)
    for n in range(57):
        RecipientFactory(campaign=campaign, status="failed", failure_reason=f"motivo {n % 3}")
    assert queries(client, url) == few == PINNED["campaign detail"]


def test_a_large_finished_campaign_is_not_counted_on_its_page(client, settings):
    """Above the inline size, the detail page reads the roll-up: the only query over the
    recipients is the page of 50 itself (on the (campaign, id) index)."""
    settings.CAMPAIGN_RESULTS_INLINE_MAX = 5
    bot = BotFactory()
    person(client, bot, Role.OPERATOR)
    campaign = sent_campaign(bot, 8)
    Campaign.objects.filter(pk=campaign.pk).update(audience_size=8)
    url = reverse("campaigns:detail", args=[campaign.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    over_recipients = [
        q["sql"] for q in captured.captured_queries if '"campaigns_recipient"' in q["sql"]
    ]
    assert len(over_recipients) == 1 and "COUNT" not in over_recipients[0].upper()
    assert response.context["counts"] == {
        "total": 8,
        "pending": 0,
        "sent": 6,
        "delivered": 6,
        "read": 4,
        "replied": 2,
        "failed": 2,
    }
    assert response.context["page_obj"].paginator.count == 8
    page = response.content.decode()
    assert 'data-testid="progress-failed">2<' in page
    assert "recusada" in page


def test_a_sending_campaign_is_counted_live_whatever_its_size(client, settings):
    settings.CAMPAIGN_RESULTS_INLINE_MAX = 5
    bot = BotFactory()
    person(client, bot, Role.OPERATOR)
    campaign = sent_campaign(bot, 8)
    Campaign.objects.filter(pk=campaign.pk).update(audience_size=8, status=Campaign.Status.SENDING)
    RecipientFactory(campaign=campaign)  # pending: not in the roll-up yet
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert response.context["counts"]["pending"] == 1
    assert response.context["counts"]["total"] == 9


def test_campaign_report_costs_the_same_for_3_or_60_recipients(client):
    bot = BotFactory()
    person(client, bot, Role.OPERATOR)
    campaign = sent_campaign(bot, 3)
    url = reverse("campaigns:report", args=[campaign.pk])
    few = queries(client, url)
    for n in range(57):
        RecipientFactory(campaign=campaign, status="failed", failure_reason=f"motivo {n % 3}")
    assert queries(client, url) == few == PINNED["campaign report"]


def test_wizard_step_1_costs_the_same_for_2_or_20_templates(client):
    bot = BotFactory()
    person(client, bot, Role.OPERATOR)
    MessageTemplateFactory.create_batch(2, bot=bot)
    few = queries(client, reverse("campaigns:new"))
    MessageTemplateFactory.create_batch(18, bot=bot)
    sent_campaign(bot, 3)
    assert queries(client, reverse("campaigns:new")) == few == PINNED["wizard step 1"]


def desk_world(bot, *, tickets: int, messages: int, teams: int):
    """An attendant (the client's user) with open tickets, their teams' queues, colleagues."""
    team = TeamFactory(bot=bot, name="Vendas")
    ana = AttendantFactory(bot=bot, status="online", slots=20)
    TeamMembershipFactory(attendant=ana, team=team)
    for n in range(teams):
        other = TeamFactory(bot=bot, name=f"Fila {n}")
        colleague = AttendantFactory(bot=bot, status="online")
        TeamMembershipFactory(attendant=colleague, team=other)
        TicketFactory(bot=bot, team=other)
        TicketFactory(bot=bot, team=other, open=True, attendant=colleague)
    for _ in range(tickets):
        mine = TicketFactory(bot=bot, team=team, open=True, attendant=ana)
        TicketFactory(bot=bot, team=team)  # waiting in my team's queue
        TicketFactory(bot=bot, team=team, requested_attendant=ana)  # directed to me
        for m in range(messages):
            message = MessageFactory(contact=mine.contact, text=f"mensagem {m}", outbound=m % 2)
            TicketMessageFactory(ticket=mine, message=message)
    return ana


def test_desk_pages_cost_the_same_for_a_small_or_a_busy_desk(client):
    bot = BotFactory()
    user = person(client, bot, Role.ATTENDANT)
    ana = desk_world(bot, tickets=1, messages=2, teams=1)
    ana.user = user
    ana.save()
    ticket = ana.tickets.filter(status="open").first()
    home = reverse("desk:home")
    page = reverse("desk:ticket", args=[bot.slug, ticket.pk])
    few = (queries(client, home), queries(client, page))
    for n in range(8):
        message = MessageFactory(contact=ticket.contact, text=f"mais {n}", outbound=n % 2)
        TicketMessageFactory(ticket=ticket, message=message)
    TicketFactory(bot=bot, contact=ticket.contact, status="closed_attendant")  # history
    busy = desk_world(bot, tickets=6, messages=4, teams=4)
    TicketFactory.create_batch(5, bot=bot, team=busy.teams.first(), requested_attendant=ana)
    assert (queries(client, home), queries(client, page)) == few
    assert few == (PINNED["Desk home"], PINNED["ticket"])


def test_supervisor_board_costs_the_same_for_2_or_8_teams(client):
    bot = BotFactory()
    person(client, bot, Role.ADMIN)
    desk_world(bot, tickets=1, messages=1, teams=1)
    board = reverse("desk:supervisor")
    few = queries(client, board)
    desk_world(bot, tickets=4, messages=1, teams=6)
    assert queries(client, board) == few == PINNED["supervisor board"]
