"""The Active Messages pages: R1, who may open them, counts in one query, filter, pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bots.models import BotMembership
from campaigns.models import Campaign, Recipient
from campaigns.reporting.rollup import campaign_results_refresh
from tests.bots.factories import BotFactory, BotMembershipFactory, ContactFactory, UserFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory

pytestmark = pytest.mark.django_db
LIST = reverse("campaigns:list")
NEW = reverse("campaigns:new")


def member(client, bot, role=BotMembership.Role.OPERATOR):
    user = UserFactory(staff=True)
    BotMembershipFactory(user=user, bot=bot, role=role)
    client.force_login(user)
    return user


def test_R1_button_only_when_the_bot_is_connected(client):
    bot = BotFactory()
    member(client, bot)
    page = client.get(LIST).content.decode()
    assert 'data-testid="send-active-messages"' in page and 'id="r1-notice"' not in page


def test_R1_no_button_and_the_reason_when_not_connected(client):
    bot = BotFactory(offline=True)
    member(client, bot)
    page = client.get(LIST).content.decode()
    assert 'data-testid="send-active-messages"' not in page
    assert 'data-code="R1_not_connected"' in page
    # And the wizard itself refuses: back to the list, which says why.
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"] == LIST


def test_R1_a_router_is_judged_by_its_own_connection():
    router = BotFactory(as_router=True, whatsapp_number="")
    assert not router.is_connected_to_whatsapp


def test_attendants_cannot_open_the_campaign_pages(client):
    bot = BotFactory()
    campaign = CampaignFactory(bot=bot)
    member(client, bot, BotMembership.Role.ATTENDANT)
    for url in (LIST, NEW, reverse("campaigns:detail", args=[campaign.pk])):
        assert client.get(url).status_code == 404, url


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(NEW)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_campaign_of_another_bot_is_not_found(client):
    member(client, BotFactory())
    other = CampaignFactory(bot=BotFactory())
    assert client.get(reverse("campaigns:detail", args=[other.pk])).status_code == 404


def test_list_reads_rolled_up_results_without_counting_recipients(
    client, django_assert_max_num_queries
):
    bot = BotFactory()
    member(client, bot)
    for _ in range(3):
        campaign = CampaignFactory(bot=bot, status=Campaign.Status.SENDING)
        for status in ("sent", "failed", "replied", "pending"):
            RecipientFactory(
                campaign=campaign,
                contact=ContactFactory(bot=bot),
                status=status,
                failure_reason="x" if status == "failed" else "",
            )
        campaign_results_refresh(campaign=campaign)
    # The layout (admin context, switcher) costs a fixed number of queries; the campaigns and
    # their results must not add any per row, nor touch the recipients table at all.
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(10):
        CampaignFactory(bot=bot)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(many.captured_queries) <= len(few.captured_queries)
    assert not any("campaigns_recipient" in q["sql"] for q in many.captured_queries)
    rows = {c.pk: c.results for c in response.context["campaigns"] if hasattr(c, "results")}
    assert {(r.sent, r.failed, r.replied, r.reply_rate) for r in rows.values()} == {(2, 1, 1, 0.5)}
    page = response.content.decode()
    assert page.count('data-col="reply-rate"><a') == 3
    assert "50,0%" in page


def test_list_filters_by_status_and_paginates(client):
    bot = BotFactory()
    member(client, bot)
    CampaignFactory.create_batch(30, bot=bot)
    CampaignFactory(bot=bot, scheduled=True)
    response = client.get(LIST, {"status": "scheduled"})
    assert [c.status for c in response.context["campaigns"]] == ["scheduled"]
    first = client.get(LIST)
    assert len(first.context["campaigns"]) == 25 and first.context["page_obj"].has_next()
    assert len(client.get(LIST, {"page": 2}).context["campaigns"]) == 6
    assert len(client.get(LIST, {"status": "bogus"}).context["campaigns"]) == 25


def test_list_shows_only_the_current_bots_campaigns(client):
    bot, other = BotFactory(), BotFactory()
    user = member(client, bot)
    BotMembershipFactory(user=user, bot=other, role=BotMembership.Role.ADMIN)
    mine = CampaignFactory(bot=bot)
    CampaignFactory(bot=other)
    response = client.get(reverse("campaigns:bot_list", args=[bot.slug]))
    assert [c.pk for c in response.context["campaigns"]] == [mine.pk]


def test_detail_shows_counts_and_recipients(client):
    bot = BotFactory()
    member(client, bot)
    campaign = CampaignFactory(bot=bot, status=Campaign.Status.SENDING)
    for status in ("pending", "sent", "delivered", "read", "replied"):
        RecipientFactory(campaign=campaign, contact=ContactFactory(bot=bot), status=status)
    RecipientFactory(
        campaign=campaign, contact=ContactFactory(bot=bot), status="failed", failure_reason="x"
    )
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert response.context["counts"] == {
        "total": 6,
        "pending": 1,
        "sent": 4,
        "delivered": 3,
        "read": 2,
        "replied": 1,
        "failed": 1,
    }
    assert len(response.context["recipients"]) == Recipient.objects.count()


def test_detail_page_carries_the_live_progress_panel(admin_client):
    campaign = CampaignFactory(status=Campaign.Status.SENDING)
    RecipientFactory(campaign=campaign)
    response = admin_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    html = response.content.decode()
    assert 'data-testid="live-progress"' in html
    assert reverse("campaign_progress", args=[campaign.pk]) in html
    assert 'data-testid="cancel-campaign"' in html
