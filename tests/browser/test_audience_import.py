"""The detail page of a campaign whose large CSV is imported in the background."""

import pytest

from campaigns.models import Campaign
from tests.bots.factories import UserFactory
from tests.browser.conftest import PHONE, screenshot
from tests.campaigns.factories import CampaignFactory, RecipientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def importing_campaign():
    UserFactory(username="boss", superuser=True)
    return CampaignFactory(
        bulk=True,
        name="Black Friday",
        import_status=Campaign.ImportStatus.IMPORTING,
        import_rows_done=12_000,
        import_rows_total=98_500,
    )


def test_import_progress_shows_then_the_sending_progress_takes_over(
    page, login, importing_campaign
):
    campaign = importing_campaign
    login("boss", "pw", f"/campaigns/{campaign.pk}/")
    panel = page.locator("[data-testid=live-progress]")
    assert panel.locator("[data-testid=progress-import]").is_visible()
    assert panel.locator("[data-testid=progress-counts]").is_hidden()
    assert page.locator("#audience-importing").is_visible()
    screenshot(page, "audience-import-desktop")
    Campaign.objects.filter(pk=campaign.pk).update(import_rows_done=60_000)
    page.wait_for_function(
        "document.querySelector('[data-testid=progress-import-bar]').value === 60000"
    )
    page.set_viewport_size(PHONE)
    screenshot(page, "audience-import-phone")
    # The import ends and the campaign is submitted: the page reloads with the counts.
    RecipientFactory.create_batch(3, campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        import_status=Campaign.ImportStatus.DONE,
        import_rows_done=98_500,
        status=Campaign.Status.SENDING,
        audience_size=3,
    )
    page.wait_for_selector("[data-testid=progress-counts]:not([hidden])")
    assert panel.locator("[data-testid=progress-import]").is_hidden()
    assert page.locator("#audience-importing").count() == 0
    assert panel.locator("[data-testid=progress-pending]").inner_text() == "3"
