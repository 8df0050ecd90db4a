"""The report's failure filter offers the codes of its failures table, read with the figures."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.reporting.recipients import failure_codes_of
from campaigns.reporting.rollup import campaign_results_refresh
from tests.bots.factories import BotFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory
from tests.campaigns.test_views import member

pytestmark = pytest.mark.django_db


def test_the_filter_offers_the_failure_groups_codes_without_reading_the_rows_again(client):
    bot = BotFactory()
    member(client, bot)
    campaign = CampaignFactory(bot=bot, status=Campaign.Status.SENT, bulk=True)
    for code in ("131026", "131049", "131026", ""):
        RecipientFactory(
            campaign=campaign, status="failed", failure_code=code, failure_reason="motivo"
        )
    RecipientFactory(campaign=campaign, status="sent")
    results = campaign_results_refresh(campaign=campaign)
    assert (
        failure_codes_of(campaign, results)
        == failure_codes_of(campaign)
        == [
            "",
            "131026",
            "131049",
        ]
    )

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("campaigns:report", args=[campaign.pk]))
    offered = [code for code, _label in response.context["filter_form"].fields["failure"].choices]
    assert offered == ["", "", "131026", "131049"]  # "Any", then the codes
    assert not [q for q in captured.captured_queries if "DISTINCT" in q["sql"]]
