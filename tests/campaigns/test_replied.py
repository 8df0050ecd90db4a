"""An inbound message marks the contact's latest sent recipient Replied (via desk's signal)."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Recipient
from desk.inbound import inbound_receive
from tests.bots.factories import BotFactory, ContactFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the signal is sent on commit


def _recipient(contact, status, hours_ago, **kwargs):
    campaign = CampaignFactory(bot=contact.bot)
    sent_at = timezone.now() - dt.timedelta(hours=hours_ago)
    return RecipientFactory(
        campaign=campaign, contact=contact, status=status, sent_at=sent_at, **kwargs
    )


@pytest.mark.parametrize("status", ["sent", "delivered", "read"])
def test_latest_sent_recipient_becomes_replied(status):
    contact = ContactFactory(bot=BotFactory())
    older = _recipient(contact, "delivered", 5)
    latest = _recipient(contact, status, 1)
    inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    latest.refresh_from_db()
    older.refresh_from_db()
    assert latest.status == Recipient.Status.REPLIED and latest.replied_at is not None
    assert older.status == "delivered"


@pytest.mark.parametrize(
    ("status", "extra"),
    [("replied", {}), ("failed", {"failure_reason": "x"})],
)
def test_never_downgrades_or_revives(status, extra):
    contact = ContactFactory(bot=BotFactory())
    older = _recipient(contact, "read", 5)
    latest = _recipient(contact, status, 1, **extra)
    inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    latest.refresh_from_db()
    older.refresh_from_db()
    assert latest.status == status
    assert older.status == "read"


def test_other_bot_recipients_are_untouched():
    contact = ContactFactory(bot=BotFactory())
    other = _recipient(ContactFactory(bot=BotFactory(), phone=contact.phone), "sent", 1)
    inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    other.refresh_from_db()
    assert other.status == "sent"
