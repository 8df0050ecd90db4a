"""The live progress panel in Chromium: it refreshes itself while sending and stops when final."""

import pytest
from django.test import override_settings

from campaigns.models import Campaign, Recipient
from tests.bots.factories import UserFactory
from tests.browser.conftest import PHONE, screenshot
from tests.campaigns.factories import bulk_campaign_with_recipients

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
S = Recipient.Status


@pytest.fixture
def sending_campaign():
    campaign = bulk_campaign_with_recipients(6, status=Campaign.Status.SENDING, name="Black Friday")
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    Recipient.objects.filter(pk__in=ids[:2]).update(status=S.SENT)
    Recipient.objects.filter(pk=ids[2]).update(
        status=S.FAILED, failure_code="opted_out", failure_reason="The contact opted out."
    )
    Recipient.objects.filter(pk=ids[3]).update(
        status=S.FAILED, failure_code="gateway_permanent", failure_reason="HTTP 400: invalid number"
    )
    UserFactory(username="boss", superuser=True)
    return campaign


@override_settings(ROOT_URLCONF="tests.campaigns.sending_browser_urls")
def test_panel_refreshes_until_the_campaign_is_final(page, login, sending_campaign):
    login("boss", "pw", f"/test-campaign/{sending_campaign.pk}/")
    panel = page.locator("[data-testid=live-progress]")
    assert panel.locator("[data-testid=progress-pending]").inner_text() == "2"
    assert panel.locator("[data-testid=progress-failures] tbody tr").count() == 2
    screenshot(page, "sending-progress-desktop")
    sending_campaign.recipients.filter(status=S.PENDING).update(status=S.SENT)
    Campaign.objects.filter(pk=sending_campaign.pk).update(
        status=Campaign.Status.SENT_WITH_FAILURES
    )
    page.wait_for_selector("[data-testid=progress-status][data-status=sent_with_failures]")
    assert panel.locator("[data-testid=progress-sent]").inner_text() == "4"
    assert panel.locator("[data-testid=progress-pending]").inner_text() == "0"
    assert page.locator("[data-testid=cancel-campaign]").is_hidden()
    page.set_viewport_size(PHONE)
    screenshot(page, "sending-progress-phone")


@override_settings(ROOT_URLCONF="tests.campaigns.sending_browser_urls")
def test_cancel_asks_for_confirmation_then_cancels(page, login, sending_campaign):
    login("boss", "pw", f"/test-campaign/{sending_campaign.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-testid=cancel-campaign]")
    sending_campaign.refresh_from_db()
    assert sending_campaign.status == Campaign.Status.SENDING
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=cancel-campaign]")
    page.wait_for_selector("[data-testid=progress-status][data-status=canceled]")
    sending_campaign.refresh_from_db()
    assert sending_campaign.status == Campaign.Status.CANCELED
    assert not sending_campaign.recipients.filter(status=S.PENDING).exists()
