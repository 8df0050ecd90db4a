"""The engine's chunks: sends in flight together, kept-alive connections, bulk identities."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bots.identities import contacts_record_identities
from bots.models import Bot, Contact
from campaigns.models import Campaign, Recipient
from campaigns.sending import engine, transmit
from tests.bots.factories import ContactFactory
from tests.campaigns.factories import bulk_campaign_with_recipients

pytestmark = pytest.mark.django_db
S = Recipient.Status


@pytest.fixture
def fake(fake_blip):
    return fake_blip


def sending_campaign(n: int) -> tuple[Campaign, list[int]]:
    campaign = bulk_campaign_with_recipients(n, status=Campaign.Status.SENDING)
    return campaign, list(campaign.recipients.order_by("pk").values_list("pk", flat=True))


class MeetingGateway:
    """Each send waits until ``parties`` sends are in flight at once (or times out)."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=10)
        self.threads: set[str] = set()

    def set_context(self, **kwargs) -> None:
        return None

    def send_template(self, *, message_id, **kwargs) -> str:
        self.threads.add(threading.current_thread().name)
        self.barrier.wait()  # BrokenBarrierError unless enough sends run side by side
        return f"meet:{message_id}"

    def take_resolved_identities(self) -> list:
        return []


def test_sends_of_a_chunk_are_in_flight_together(settings, monkeypatch):
    settings.SENDING_CHUNK_SIZE = 8
    settings.SENDING_CONCURRENCY = 4
    gateway = MeetingGateway(parties=4)
    monkeypatch.setattr(engine, "get_gateway", lambda **options: gateway)
    campaign, ids = sending_campaign(8)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 8
    assert len(gateway.threads) == 4
    assert set(campaign.recipients.values_list("status", flat=True)) == {S.SENT}


def test_connections_are_kept_alive_across_sends_and_chunks(settings, fake):
    settings.SENDING_CHUNK_SIZE = 10
    settings.SENDING_CONCURRENCY = 3
    campaign, ids = sending_campaign(30)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 30
    assert len(fake.sent_message_ids()) == 30
    # 90 requests (lookup, context, message per recipient) over at most one connection per
    # send in flight.
    assert fake.connections_opened <= 3


@pytest.mark.parametrize("limited", [False, True], ids=["no limit", "a limited tier"])
def test_R18_identities_looked_up_by_a_chunk_are_stored_in_one_statement(settings, fake, limited):
    settings.SENDING_CHUNK_SIZE = 20
    campaign, ids = sending_campaign(12)
    tier = Bot.MessagingTier.TIER_2K if limited else Bot.MessagingTier.UNLIMITED
    Bot.objects.filter(pk=campaign.bot_id).update(messaging_tier=tier)
    with CaptureQueriesContext(connection) as queries:
        engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    writes = [
        q["sql"] for q in queries if q["sql"].replace('"', "").startswith("UPDATE bots_contact")
    ]
    stores = [sql for sql in writes if "whatsapp_identity" in sql.split(" FROM ")[0]]
    assert len(stores) == 1
    # R26 too: on PostgreSQL a bot without a limit has its window count in that same write, one
    # per contact and chunk; a limited one (or elsewhere) is admitted and counted at the claim.
    assert len(writes) == (1 if connection.vendor == "postgresql" and not limited else 2)
    for recipient in campaign.recipients.select_related("contact"):
        contact = recipient.contact
        assert contact.whatsapp_identity == contact.phone[1:] + "@wa.gw.msging.net"
        assert contact.last_active_message_at == recipient.claimed_at


def test_R26_a_contact_counted_later_in_the_window_keeps_its_later_time():
    """The record counts its contacts at their claim time; a send claimed after it (another
    campaign's, recorded first) must not be moved back, nor an identity taken away."""
    now = timezone.now()
    later, fresh = ContactFactory(), ContactFactory()
    Contact.objects.filter(pk=later.pk).update(last_active_message_at=now + dt.timedelta(minutes=5))
    stored = contacts_record_identities(
        pairs=[(fresh, "5511900000009@wa.gw.msging.net")], messaged={later.pk: now, fresh.pk: now}
    )
    assert stored == 1
    later.refresh_from_db()
    fresh.refresh_from_db()
    assert later.last_active_message_at == now + dt.timedelta(minutes=5)
    assert later.whatsapp_identity == ""
    assert fresh.last_active_message_at == now
    assert fresh.whatsapp_identity == "5511900000009@wa.gw.msging.net"


@pytest.mark.parametrize("counted", [False, True], ids=["identities", "with the window count"])
def test_R18_an_identity_held_by_another_contact_is_left_and_the_others_stored(counted):
    first, second = ContactFactory(), ContactFactory()
    holder = ContactFactory(bot=second.bot, whatsapp_identity="5511900000002@wa.gw.msging.net")
    now = timezone.now()
    stored = contacts_record_identities(
        pairs=[
            (first, "5511900000001@wa.gw.msging.net"),
            (second, "5511900000002@wa.gw.msging.net"),
            (second, "not an identity"),  # refused, like contact_record_identity does
        ],
        messaged={first.pk: now, second.pk: now} if counted else None,
    )
    assert stored == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.whatsapp_identity == "5511900000001@wa.gw.msging.net"
    assert second.whatsapp_identity == ""
    holder.refresh_from_db()
    assert holder.whatsapp_identity == "5511900000002@wa.gw.msging.net"
    # R26: the conflict takes nothing from the window count.
    expected = now if counted else None
    assert (first.last_active_message_at, second.last_active_message_at) == (expected, expected)


@pytest.mark.parametrize(
    ("setting", "rate", "expected"),
    [
        (200, 0, 200),  # no rate limit: the setting
        (200, 100, 100),  # a second at 100/s (two chunks in flight: two seconds)
        (200, 20, 20),  # a slow bot: what a dying worker leaves unknown stays small
        (200, 1, 1),
        (10, 1000, 10),  # never above the setting
    ],
)
def test_R17_a_chunk_is_at_most_a_second_of_the_bots_rate(settings, setting, rate, expected):
    settings.SENDING_CHUNK_SIZE = setting
    assert engine.chunk_size(rate_per_second=rate) == expected


def test_R17_a_slow_bot_claims_small_chunks(settings, monkeypatch):
    settings.SENDING_CHUNK_SIZE = 200
    claims = []
    real_claim = engine.recipients_claim

    def counting_claim(*, campaign, ids):
        claims.append(len(ids))
        return real_claim(campaign=campaign, ids=ids)

    monkeypatch.setattr(engine, "recipients_claim", counting_claim)
    monkeypatch.setattr(engine, "get_gateway", lambda **options: OkGateway())
    monkeypatch.setattr(transmit, "get_limiter", lambda: NoWait())
    campaign, ids = sending_campaign(10)
    campaign.bot.rate_limit_per_second = 2
    campaign.bot.save(update_fields=["rate_limit_per_second"])
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 10
    assert claims == [2, 2, 2, 2, 2]


class OkGateway:
    def set_context(self, **kwargs) -> None:
        return None

    def send_template(self, *, message_id, **kwargs) -> str:
        return f"ok:{message_id}"

    def take_resolved_identities(self) -> list:
        return []


class NoWait:
    def acquire(self, key, rate) -> float:
        return 0.0


class ChunkWatchingGateway(OkGateway):
    """Notes when a send of the watched recipients starts."""

    def __init__(self, watched: set[str]) -> None:
        self.watched, self.started = watched, threading.Event()

    def send_template(self, *, message_id, **kwargs) -> str:
        if message_id in self.watched:
            self.started.set()
        return super().send_template(message_id=message_id, **kwargs)


def test_the_next_chunk_goes_out_while_the_one_before_is_recorded(settings, monkeypatch):
    settings.SENDING_CHUNK_SIZE = 2
    campaign, ids = sending_campaign(4)
    second = {f"c{campaign.pk}r{pk}" for pk in ids[2:]}
    gateway = ChunkWatchingGateway(second)
    monkeypatch.setattr(engine, "get_gateway", lambda **options: gateway)
    monkeypatch.setattr(transmit, "get_limiter", lambda: NoWait())
    real_record, seen = engine.recipients_record, []

    def record(**kwargs):
        # Recording the first chunk: the second one's sends have already begun.
        seen.append(gateway.started.wait(timeout=5) if not seen else True)
        return real_record(**kwargs)

    monkeypatch.setattr(engine, "recipients_record", record)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 4
    assert seen == [True, True]
    assert set(campaign.recipients.values_list("status", flat=True)) == {S.SENT}


def test_R17_a_worker_never_holds_more_than_two_chunks_sending(settings, monkeypatch):
    """What a dying worker can leave in "unknown outcome": the chunk being recorded and the one
    on the wire, never more."""
    settings.SENDING_CHUNK_SIZE = 3
    monkeypatch.setattr(engine, "get_gateway", lambda **options: OkGateway())
    monkeypatch.setattr(transmit, "get_limiter", lambda: NoWait())
    real_claim, sending = engine.recipients_claim, []

    def claim(*, campaign, ids):
        won = real_claim(campaign=campaign, ids=ids)
        sending.append(Recipient.objects.filter(status=S.SENDING).count())
        return won

    monkeypatch.setattr(engine, "recipients_claim", claim)
    campaign, ids = sending_campaign(14)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 14
    assert max(sending) == 6
    assert len(sending) == 5
