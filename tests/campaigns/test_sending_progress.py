"""The live progress panel: its JSON, the partial template and the Cancel button."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import Campaign, Recipient
from tests.bots.factories import BotMembershipFactory, UserFactory
from tests.campaigns.factories import bulk_campaign_with_recipients

pytestmark = pytest.mark.django_db
S = Recipient.Status


@pytest.fixture
def campaign():
    campaign = bulk_campaign_with_recipients(5, status=Campaign.Status.SENDING)
    first, second, third, *_ = campaign.recipients.order_by("pk")
    Recipient.objects.filter(pk=first.pk).update(status=S.DELIVERED)
    Recipient.objects.filter(pk__in=[second.pk, third.pk]).update(
        status=S.FAILED, failure_code="opted_out", failure_reason="The contact opted out."
    )
    return campaign


def operator_of(bot, role="operator"):
    return BotMembershipFactory(bot=bot, role=role).user


def test_progress_json_counts_and_groups_failures(client, campaign):
    client.force_login(operator_of(campaign.bot))
    data = client.get(reverse("campaign_progress", args=[campaign.pk])).json()
    assert (data["sent"], data["failed"], data["pending"], data["total"]) == (1, 2, 2, 5)
    assert data["failures"] == [
        {"code": "opted_out", "reason": "The contact opted out.", "count": 2}
    ]
    assert data["status"] == "sending" and data["is_final"] is False


def test_progress_of_another_bots_campaign_is_404(client, campaign):
    client.force_login(UserFactory(staff=True))
    assert client.get(reverse("campaign_progress", args=[campaign.pk])).status_code == 404


def test_cancel_button_cancels_and_stops_pending(client, campaign):
    client.force_login(operator_of(campaign.bot))
    url = reverse("campaign_cancel", args=[campaign.pk])
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.url
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELED
    assert not campaign.recipients.filter(status=S.PENDING).exists()


def test_cancel_needs_an_operator(client, campaign):
    client.force_login(operator_of(campaign.bot, role="attendant"))
    assert client.post(reverse("campaign_cancel", args=[campaign.pk])).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING


def test_partial_renders_counts_and_polls_only_while_sending(campaign):
    request = RequestFactory().get("/")
    request.user = operator_of(campaign.bot)
    html = render_to_string(
        "campaigns/_live_progress.html", {"campaign": campaign}, request=request
    )
    assert 'data-testid="progress-sent">1<' in html
    assert 'data-testid="progress-failed">2<' in html
    assert 'data-final="0"' in html and 'data-testid="cancel-campaign"' in html
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT_WITH_FAILURES)
    campaign.refresh_from_db()
    html = render_to_string(
        "campaigns/_live_progress.html", {"campaign": campaign}, request=request
    )
    assert 'data-final="1"' in html and "cancel-campaign" not in html


def test_attendants_of_the_bot_cannot_read_the_progress(client, campaign):
    """Issue 13: an attendant could read a campaign's progress JSON."""
    client.force_login(operator_of(campaign.bot, role="attendant"))
    assert client.get(reverse("campaign_progress", args=[campaign.pk])).status_code == 404
    client.force_login(operator_of(campaign.bot, role="admin"))
    assert client.get(reverse("campaign_progress", args=[campaign.pk])).json()["total"] == 5
