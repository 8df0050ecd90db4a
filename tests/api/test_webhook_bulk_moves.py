"""Issue 14: recipients moved in bulk (cancel, failed dispatch, stale claims) are announced too.

Each move writes one ``recipient.status_changed`` delivery per recipient in the transaction
that moved them, like a single send's move does.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from campaigns.models import Recipient
from campaigns.sending.recovery import recipients_fail_stale_claims
from campaigns.sending.scheduling import campaign_fail_validation
from campaigns.services import campaign_cancel
from tests.campaigns.factories import CampaignFactory, RecipientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(api):
    WebhookSubscription.objects.create(
        bot=api.bot, url="https://hooks.example.com/bp", events=["recipient.status_changed"]
    )
    return CampaignFactory(bot=api.bot, bulk=True, scheduled=True)


def announced() -> dict[int, tuple[str, str]]:
    """recipient id → (status, failure code) of every recipient.status_changed queued."""
    out = {}
    for payload in WebhookDelivery.objects.values_list("payload", flat=True):
        recipient = payload["data"]["recipient"]
        out[recipient["id"]] = (recipient["status"], recipient["failure_code"])
    return out


def test_canceling_announces_every_pending_recipient_as_failed(subscribed):
    pending = RecipientFactory.create_batch(3, campaign=subscribed)
    sent = RecipientFactory(campaign=subscribed, sent=True)
    assert campaign_cancel(campaign=subscribed)
    assert announced() == {r.pk: ("failed", "canceled") for r in pending}
    assert sent.pk not in announced()


def test_a_campaign_failing_its_dispatch_check_announces_its_recipients(subscribed):
    pending = RecipientFactory.create_batch(2, campaign=subscribed)
    error = ValidationError({"template": ValidationError("gone", code="R7_template")})
    assert campaign_fail_validation(campaign=subscribed, error=error, now=timezone.now())
    assert announced() == {r.pk: ("failed", "campaign_failed") for r in pending}


def test_stale_claims_are_announced_as_failed_of_unknown_outcome(subscribed):
    sending = Recipient.Status.SENDING
    old = timezone.now() - dt.timedelta(hours=1)
    stale = RecipientFactory(campaign=subscribed, status=sending, claimed_at=old)
    RecipientFactory(campaign=subscribed, status=sending, claimed_at=timezone.now())
    assert recipients_fail_stale_claims(stale_after=dt.timedelta(minutes=10)) == 1
    assert announced() == {stale.pk: ("failed", "unknown_outcome")}
    assert WebhookDelivery.objects.get().payload["type"] == "recipient.status_changed"


def test_moves_of_a_bot_without_subscribers_queue_nothing(api):
    campaign = CampaignFactory(bot=api.bot, bulk=True, scheduled=True)
    RecipientFactory.create_batch(2, campaign=campaign)
    assert campaign_cancel(campaign=campaign)
    assert not WebhookDelivery.objects.exists()
    assert set(campaign.recipients.values_list("status", flat=True)) == {"failed"}
