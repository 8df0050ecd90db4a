"""R26 in the sending engine: the overflow waits, deferred, and goes out when the window frees.

A frozen clock moves across the window's 24-hour boundary; the engine runs eagerly with the
outbox gateway.
"""

import pytest

from bots.messaging_limits import WINDOW, messaging_budget
from bots.models import Bot, Contact
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine, start_sending
from campaigns.sending.progress import campaign_progress
from campaigns.sending.recovery import sending_recover
from campaigns.services import campaign_cancel
from tests.bots.factories import BotFactory
from tests.campaigns.factories import CampaignFactory

pytestmark = pytest.mark.django_db
S = Recipient.Status


def sending_campaign(bot, n: int, *, first_phone: int = 0) -> tuple[Campaign, list[int]]:
    """A bulk campaign in Sending with ``n`` new contacts as Pending recipients."""
    campaign = CampaignFactory(
        bot=bot, bulk=True, status=Campaign.Status.SENDING, dispatched_at=None
    )
    made = Contact.objects.bulk_create(
        Contact(bot=bot, phone=f"+55119{first_phone + i:08d}") for i in range(n)
    )
    Recipient.objects.bulk_create(
        Recipient(campaign=campaign, contact=c, parameters={"body": ["Ana"]}) for c in made
    )
    return campaign, list(campaign.recipients.order_by("pk").values_list("pk", flat=True))


def statuses(campaign) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in campaign.recipients.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.fixture
def tier_250(clock):
    return BotFactory(messaging_tier=Bot.MessagingTier.TIER_250)


def test_R26_the_sender_never_exceeds_the_budget_the_rest_waits_deferred(tier_250, clock):
    campaign, ids = sending_campaign(tier_250, 260)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 250
    assert statuses(campaign) == {S.SENT: 250, S.PENDING: 10}
    waiting = campaign.recipients.filter(status=S.PENDING)
    # All 250 slots were taken at the same instant: they all free 24 h later.
    assert set(waiting.values_list("deferred_until", flat=True)) == {clock.now + WINDOW}
    assert not campaign.recipients.filter(status=S.FAILED).exists()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING  # not over: ten are still to go
    progress = campaign_progress(campaign=campaign)
    assert progress["deferred"] == 10
    assert progress["deferred_next"] == clock.now + WINDOW
    assert messaging_budget(bot=tier_250).remaining == 0


def test_R26_deferred_recipients_go_out_when_the_window_frees_never_failed(tier_250, clock):
    campaign, ids = sending_campaign(tier_250, 260)
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    clock.advance(hours=23, minutes=59)
    # Not yet: the recovery tick leaves them alone (nothing to enqueue before their time).
    assert start_sending(campaign_id=campaign.pk) == 0
    assert sending_recover()["resumed"] == []
    assert statuses(campaign)[S.PENDING] == 10
    clock.advance(minutes=1)
    assert sending_recover()["resumed"] == [campaign.pk]  # eager Celery: sent right away
    assert statuses(campaign) == {S.SENT: 260}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_R26_contacts_messaged_in_the_window_by_another_campaign_do_not_count_again(
    tier_250, clock
):
    first, first_ids = sending_campaign(tier_250, 200)
    engine.send_recipients(campaign_id=first.pk, recipient_ids=first_ids)
    clock.advance(hours=2)
    # The same 200 people plus 100 new ones: the 200 cost nothing, 50 new fit.
    second = CampaignFactory(bot=tier_250, bulk=True, status=Campaign.Status.SENDING)
    people = list(Contact.objects.filter(bot=tier_250).order_by("pk"))
    people += Contact.objects.bulk_create(
        Contact(bot=tier_250, phone=f"+55118{i:08d}") for i in range(100)
    )
    Recipient.objects.bulk_create(Recipient(campaign=second, contact=c) for c in people)
    ids = list(second.recipients.order_by("pk").values_list("pk", flat=True))
    Recipient.objects.filter(pk__in=ids).update(parameters={"body": ["Ana"]})
    assert engine.send_recipients(campaign_id=second.pk, recipient_ids=ids) == 250
    assert statuses(second) == {S.SENT: 250, S.PENDING: 50}
    # Messaged again, the 200 now count until 24 h from now, as the 50 new ones sent with them:
    # the 50 left wait for that.
    waiting = second.recipients.filter(status=S.PENDING).values_list("deferred_until", flat=True)
    assert set(waiting) == {clock.now + WINDOW}


def test_R26_unlimited_tier_never_defers(clock):
    bot = BotFactory(messaging_tier=Bot.MessagingTier.UNLIMITED)
    campaign, ids = sending_campaign(bot, 300)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 300
    assert not campaign.recipients.filter(deferred_until__isnull=False).exists()
    # ... and still counts every contact sent in the window, at its claim time (on PostgreSQL
    # the record's one write of each contact does it, with its identity), should the bot move
    # to a limited tier.
    contacts = Contact.objects.filter(recipients__campaign=campaign)
    assert contacts.filter(last_active_message_at=clock.now).count() == 300


def test_a_claimed_recipient_carries_what_its_send_and_record_read(
    clock, django_assert_num_queries
):
    from campaigns.sending.claims import recipients_claim

    bot = BotFactory(messaging_tier=Bot.MessagingTier.UNLIMITED)
    campaign, ids = sending_campaign(bot, 3)
    claimed = recipients_claim(campaign=campaign, ids=ids)
    assert [r.pk for r in claimed] == sorted(ids) and {r.status for r in claimed} == {S.SENDING}
    with django_assert_num_queries(0):  # nothing of it is loaded late, one query per recipient
        for recipient in claimed:
            contact = recipient.contact
            assert contact.phone and contact.bot_id == bot.pk and not contact.opted_out
            assert contact.whatsapp_identity == "" and recipient.parameters is not None
            assert recipient.campaign is campaign and recipient.attempts == 1
            assert recipient.claimed_at == clock.now and recipient.gateway_message_id == ""


def test_R26_canceling_a_campaign_with_deferred_recipients_ends_them_canceled(tier_250):
    campaign, ids = sending_campaign(tier_250, 255)
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    assert campaign_cancel(campaign=campaign)
    codes = set(campaign.recipients.filter(status=S.FAILED).values_list("failure_code", flat=True))
    assert codes == {"canceled"}
    assert campaign.recipients.filter(status=S.FAILED).count() == 5


def test_R26_the_campaign_page_and_its_progress_say_deferred_until(tier_250, clock, client):
    from django.urls import reverse

    from bots.models import BotMembership
    from tests.bots.factories import BotMembershipFactory, UserFactory

    campaign, ids = sending_campaign(tier_250, 252)
    engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    user = UserFactory(staff=True)
    BotMembershipFactory(user=user, bot=tier_250, role=BotMembership.Role.OPERATOR)
    client.force_login(user)
    # 10:00 in São Paulo now: the slots free tomorrow at the same time, shown with the date.
    page = client.get(reverse("campaigns:report", args=[campaign.pk]) + "?status=pending")
    html = page.content.decode()
    assert html.count('data-testid="deferred-until"') == 2
    assert "11/03/2026 10:00" in html
    progress = client.get(reverse("campaign_progress", args=[campaign.pk])).json()
    assert progress["deferred"] == 2
    assert "11/03/2026 10:00" in progress["deferred_label"]
