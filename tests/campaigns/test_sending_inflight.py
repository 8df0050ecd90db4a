"""How many sends a worker keeps in flight: learnt chunk by chunk from the rate each number got
(``campaigns.sending.inflight``), under the ``SENDING_CONCURRENCY`` ceiling."""

import collections
import random
import threading
import time

import pytest

from campaigns.models import Campaign, Recipient
from campaigns.sending import engine, inflight, transmit
from campaigns.sending.inflight import InFlight
from tests.campaigns.factories import bulk_campaign_with_recipients


def play(tuner: InFlight, rate_of, chunks: int, size: int = 100) -> collections.Counter:
    """Run ``chunks`` chunks where ``rate_of(senders)`` is the messages/s that number gets."""
    used = collections.Counter()
    for _ in range(chunks):
        senders = tuner.choose()
        used[senders] += 1
        tuner.observe(senders, size, size / rate_of(senders))
    return used


# Rates per number of senders, as measured on this machine's loopback bench (1 worker) and as a
# gateway tens of milliseconds away gives them (each sender waits ~50 ms per message).
LOOPBACK = {1: 412.0, 2: 392.0, 4: 348.0, 8: 333.0}
FAR_AWAY = {1: 19.0, 2: 38.0, 4: 75.0, 8: 148.0}


def test_levels_are_powers_of_two_up_to_the_ceiling():
    assert InFlight(8).levels == [1, 2, 4, 8]
    assert InFlight(6).levels == [1, 2, 4, 6]
    assert InFlight(1).levels == [1]
    assert InFlight(0).levels == [1]


def test_the_first_chunk_goes_out_at_the_ceiling():
    assert InFlight(8).choose() == 8


@pytest.mark.parametrize(
    ("rates", "settles_on"),
    [
        (LOOPBACK, 1),  # a gateway on the same machine: threads only hand the GIL around
        (FAR_AWAY, 8),  # the real Blip: every sender mostly waits for its answer
        # The bot's rate limit sets the pace from two senders on: two, the cheapest that keep it.
        ({1: 60.0, 2: 100.0, 4: 100.0, 8: 100.0}, 2),
        ({1: 90.0, 2: 180.0, 4: 210.0, 8: 150.0}, 4),  # a peak in the middle
        ({1: 400.0, 2: 415.0, 4: 300.0, 8: 300.0}, 1),  # within 5 %: the lowest number wins
        ({1: 300.0, 2: 300.0, 4: 420.0, 8: 410.0}, 4),  # a plateau between the start and the peak
    ],
)
def test_it_settles_on_the_number_that_sends_fastest(rates, settles_on):
    tuner = InFlight(8)
    play(tuner, rates.__getitem__, chunks=60)
    used = play(tuner, rates.__getitem__, chunks=80)
    assert tuner.best() == settles_on
    # The best number sends most chunks; only the probes of its neighbours go out otherwise.
    assert used[settles_on] >= 80 * 3 // 4


def test_it_follows_the_gateway_when_the_answers_slow_down():
    tuner = InFlight(8)
    play(tuner, LOOPBACK.__getitem__, chunks=80)
    assert tuner.best() == 1
    play(tuner, FAR_AWAY.__getitem__, chunks=80)
    assert tuner.best() == 8
    play(tuner, LOOPBACK.__getitem__, chunks=120)
    assert tuner.best() == 1


def test_noise_does_not_make_it_wander_to_more_senders():
    """With every core busy, one chunk's pace varies by ±20 %: two numbers that send alike must
    not pull the worker up to the dearer one on a lucky chunk."""
    rng = random.Random(12)
    tuner = InFlight(8)
    same = {1: 600.0, 2: 600.0, 4: 560.0, 8: 480.0}
    used = play(tuner, lambda n: same[n] * rng.uniform(0.8, 1.2), chunks=200)
    assert tuner.best() == 1
    assert used[1] >= 150


def play_on_a_full_machine(tuner: InFlight, rate_of, cost_of, chunks: int, busy: float = 0.97):
    """``play`` with each chunk's CPU per message (``cost_of``) and the machine's busy share."""
    used = collections.Counter()
    for _ in range(chunks):
        senders = tuner.choose()
        used[senders] += 1
        tuner.observe(senders, 100, 100 / rate_of(senders), 100 * cost_of(senders), busy)
    return used


# Two workers on two cores, loopback gateway (measured): each worker alone is faster with more
# senders, because it takes CPU from the other worker and the database, while each message
# costs more CPU (the machine as a whole sends less).
STEALING = {1: 300.0, 2: 360.0, 4: 420.0, 8: 250.0}
STEALING_COST = {1: 0.0017, 2: 0.0021, 4: 0.0022, 8: 0.0030}
# A gateway 50 ms away: more senders cost next to nothing more per message.
FAR_AWAY_COST = {1: 0.0017, 2: 0.0017, 4: 0.0018, 8: 0.00182}


@pytest.mark.parametrize(
    ("rates", "costs", "busy", "settles_on"),
    [
        (STEALING, STEALING_COST, 0.97, 1),  # full machine: the dearer numbers are out
        (STEALING, STEALING_COST, 0.60, 4),  # spare CPU: the fastest, whatever it costs
        (FAR_AWAY, FAR_AWAY_COST, 0.97, 8),  # full machine, but more senders cost nothing
        (FAR_AWAY, STEALING_COST, 0.97, 1),  # ... and when they do cost, they are not taken
    ],
)
def test_on_a_full_machine_a_number_whose_messages_cost_more_cpu_is_not_taken(
    rates, costs, busy, settles_on
):
    """The engine is judged by the machine's messages per second, not one worker's: with every
    core busy a worker adding senders is faster by taking its neighbours' CPU (SPEC §5)."""
    tuner = InFlight(8)
    play_on_a_full_machine(tuner, rates.__getitem__, costs.__getitem__, 60, busy)
    used = play_on_a_full_machine(tuner, rates.__getitem__, costs.__getitem__, 80, busy)
    assert tuner.best() == settles_on
    assert used[settles_on] >= 80 * 3 // 4
    assert tuner.saturated() is (busy >= inflight.SATURATED)


def test_the_dearer_numbers_are_tried_less_often_on_a_full_machine():
    tuner = InFlight(8)
    used = play_on_a_full_machine(tuner, STEALING.__getitem__, STEALING_COST.__getitem__, 300)
    assert tuner.best() == 1
    assert used[1] >= 280  # probes of 2 back off to one in 64 chunks


def test_machine_busy_share_from_two_readings():
    assert inflight.busy_between((100, 1000), (190, 1100)) == pytest.approx(0.9)
    assert inflight.busy_between(None, (190, 1100)) is None
    assert inflight.busy_between((100, 1000), (100, 1000)) is None  # no time passed
    ticks = inflight.machine_ticks()
    if ticks is not None:  # Linux
        busy, total = ticks
        assert 0 <= busy <= total


def test_a_small_chunk_is_not_counted():
    tuner = InFlight(8)
    tuner.observe(8, inflight.MIN_SENDS - 1, 0.001)
    tuner.observe(3, 100, 1.0)  # not one of its numbers
    tuner.observe(4, 100, 0.0)
    assert tuner.rates == {}


def test_each_bot_has_its_own_measurements_in_a_process():
    first = inflight.in_flight_for(bot_id=1, ceiling=8)
    assert inflight.in_flight_for(bot_id=1, ceiling=8) is first
    assert inflight.in_flight_for(bot_id=2, ceiling=8) is not first
    inflight.forget()
    assert inflight.in_flight_for(bot_id=1, ceiling=8) is not first


class CountingGateway:
    """Records the most sends it ever had in flight at once."""

    def __init__(self, pause: float = 0.002) -> None:
        self.pause, self.now, self.most = pause, 0, 0
        self.lock = threading.Lock()

    def set_context(self, **kwargs) -> None:
        return None

    def send_template(self, *, message_id, **kwargs) -> str:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.pause)
        with self.lock:
            self.now -= 1
        return f"count:{message_id}"

    def take_resolved_identities(self) -> list:
        return []


@pytest.mark.django_db
def test_the_engine_keeps_in_flight_what_the_tuner_chose_across_chunks(settings, monkeypatch):
    """With the tuner at one sender, the next chunk's sender waits for the one before: never
    two sends at once, although the next chunk starts while the one before is recorded."""
    settings.SENDING_CHUNK_SIZE = 10
    settings.SENDING_CONCURRENCY = 8
    gateway = CountingGateway()
    monkeypatch.setattr(engine, "get_gateway", lambda **options: gateway)
    campaign = bulk_campaign_with_recipients(60, status=Campaign.Status.SENDING)
    tuner = inflight.in_flight_for(bot_id=campaign.bot_id, ceiling=8)
    monkeypatch.setattr(tuner, "choose", lambda: 1)
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 60
    assert gateway.most == 1
    assert set(campaign.recipients.values_list("status", flat=True)) == {Recipient.Status.SENT}
    # Every chunk's pace was measured for the number it went out with.
    assert set(tuner.rates) == {1}


@pytest.mark.django_db
def test_the_engine_learns_from_each_chunk(settings, monkeypatch):
    settings.SENDING_CHUNK_SIZE = 16
    settings.SENDING_CONCURRENCY = 4
    # A gateway that answers slowly: 4 senders send a chunk in 4 rounds of 30 ms, 2 in 8.
    gateway = CountingGateway(pause=0.03)
    monkeypatch.setattr(engine, "get_gateway", lambda **options: gateway)
    campaign = bulk_campaign_with_recipients(96, status=Campaign.Status.SENDING)
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 96
    tuner = inflight.in_flight_for(bot_id=campaign.bot_id, ceiling=4)
    assert 4 in tuner.rates and len(tuner.rates) >= 2  # the ceiling and at least one probe
    assert tuner.best() == 4
    assert gateway.most == 4
    # Each chunk's CPU per message was kept beside its pace (and, on Linux, the machine's load).
    assert set(tuner.costs) == set(tuner.rates)
    assert all(0 <= cost < 0.03 for cost in tuner.costs.values())  # the senders mostly slept
    if inflight.machine_ticks() is not None:
        assert tuner.busy is not None and 0 <= tuner.busy <= 1


@pytest.mark.django_db
def test_a_finished_chunk_lets_go_of_the_one_before(settings, monkeypatch):
    """Each chunk waits for the one before; once recorded it drops it, so a batch's chunks do
    not hold each other (and their recipients) until the batch ends."""
    settings.SENDING_CHUNK_SIZE = 10
    gateway = CountingGateway(pause=0)
    monkeypatch.setattr(engine, "get_gateway", lambda **options: gateway)
    made = []
    original = transmit.ChunkSends.__init__

    def remember(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(transmit.ChunkSends, "__init__", remember)
    campaign = bulk_campaign_with_recipients(40, status=Campaign.Status.SENDING)
    ids = list(campaign.recipients.order_by("pk").values_list("pk", flat=True))
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 40
    assert len(made) == 4
    assert [chunk._after for chunk in made] == [None] * 4
