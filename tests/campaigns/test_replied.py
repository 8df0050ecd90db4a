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


@pytest.mark.parametrize("status", ["sent", "delivered"])
def test_R19_a_reply_proves_delivery_and_read(status):
    contact = ContactFactory(bot=BotFactory())
    recipient = _recipient(contact, status, 1)
    result = inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    recipient.refresh_from_db()
    assert recipient.status == "replied"
    # Never known before, delivery and read happened by the reply at the latest.
    assert recipient.delivered_at == recipient.read_at == recipient.replied_at is not None
    assert result.message.created_at >= recipient.sent_at


def test_R19_times_already_known_are_kept():
    contact = ContactFactory(bot=BotFactory())
    delivered = timezone.now() - dt.timedelta(minutes=30)
    recipient = _recipient(contact, "delivered", 1, delivered_at=delivered)
    inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    recipient.refresh_from_db()
    assert (recipient.status, recipient.delivered_at) == ("replied", delivered)


def test_R19_counts_show_a_replied_recipient_as_delivered_and_read():
    from campaigns.selectors import campaign_counts

    contact = ContactFactory(bot=BotFactory())
    recipient = _recipient(contact, "sent", 1)
    inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    counts = campaign_counts(campaign=recipient.campaign)
    assert (counts["sent"], counts["delivered"], counts["read"], counts["replied"]) == (1, 1, 1, 1)


def test_R19_the_sends_message_in_the_history_becomes_read(client):
    from bots.models import Message
    from campaigns.models import Campaign
    from campaigns.sending import engine
    from tests.campaigns.factories import bulk_campaign_with_recipients

    campaign = bulk_campaign_with_recipients(1, status=Campaign.Status.SENDING)
    recipient = campaign.recipients.get()
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=[recipient.pk])
    inbound_receive(bot=campaign.bot, phone=recipient.contact.phone, text="Recebi!")
    sent = Message.objects.get(direction="out")
    assert sent.status == "read"


def test_R19_a_reply_to_a_send_of_unknown_outcome_proves_and_records_it():
    from bots.models import Message
    from campaigns.sending.engine import UNKNOWN_OUTCOME

    contact = ContactFactory(bot=BotFactory())
    recipient = _recipient(contact, "failed", 1, failure_code=UNKNOWN_OUTCOME, failure_reason="?")
    Recipient.objects.filter(pk=recipient.pk).update(
        sent_at=None, claimed_at=timezone.now() - dt.timedelta(minutes=2)
    )
    inbound_receive(bot=contact.bot, phone=contact.phone, text="Oi, recebi sim")
    recipient.refresh_from_db()
    assert (recipient.status, recipient.failure_code) == ("replied", "")
    assert recipient.sent_at == recipient.claimed_at
    assert recipient.gateway_message_id == f"c{recipient.campaign_id}r{recipient.pk}"
    assert Message.objects.filter(direction="out", kind="template").count() == 1


@pytest.mark.parametrize("page", ["campaigns:detail", "campaigns:report"])
def test_R19_the_recipient_tables_say_a_replied_recipient_was_delivered_and_read(
    admin_client, page
):
    from django.urls import reverse

    contact = ContactFactory(bot=BotFactory())
    recipient = _recipient(contact, "sent", 1)
    inbound_receive(bot=contact.bot, phone=contact.phone, text="oi")
    html = admin_client.get(reverse(page, args=[recipient.campaign_id])).content.decode()
    row = html[html.index('data-status="replied"') :]
    assert 'data-testid="replied-proof"' in row[: row.index("</tr>")]
