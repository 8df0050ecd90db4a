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
# senders, because it takes CPU from the other worker, the database and the fake gateway, while
# one sender already keeps its process busy (300 msg/s × 1.7 ms = 51 % of a core).
STEALING = {1: 300.0, 2: 360.0, 4: 420.0, 8: 250.0}
FLAT_COST = {1: 0.0017, 2: 0.0017, 4: 0.0018, 8: 0.0018}
# A gateway a few milliseconds away: two senders still leave the process waiting half the time.
NEAR = {1: 150.0, 2: 290.0, 4: 420.0, 8: 600.0}


@pytest.mark.parametrize(
    ("rates", "busy", "settles_on"),
    [
        (STEALING, 0.97, 1),  # full machine, busy process: more senders only take others' CPU
        (STEALING, 0.87, 1),  # as full as two workers, the database and the gateway read
        (STEALING, 0.60, 4),  # spare CPU: the fastest
        (FAR_AWAY, 0.97, 8),  # full machine, but eight senders keep the process busy 27 %
        (NEAR, 0.97, 4),  # up to the first number keeping it busy half the time (4: 76 %)
        (NEAR, 0.60, 8),
    ],
)
def test_on_a_full_machine_a_busy_worker_does_not_add_senders(rates, busy, settles_on):
    """The engine is judged by the machine's messages per second, not one worker's: with every
    core busy, a worker whose process is busy gains by more senders only what it takes from its
    neighbours."""
    tuner = InFlight(8)
    play_on_a_full_machine(tuner, rates.__getitem__, FLAT_COST.__getitem__, 60, busy)
    used = play_on_a_full_machine(tuner, rates.__getitem__, FLAT_COST.__getitem__, 80, busy)
    assert tuner.best() == settles_on
    assert used[settles_on] >= 80 * 3 // 4
    assert tuner.saturated() is (busy >= inflight.SATURATED)


def test_on_a_full_machine_the_numbers_above_are_not_even_tried():
    tuner = InFlight(8)
    used = play_on_a_full_machine(tuner, STEALING.__getitem__, FLAT_COST.__getitem__, 300)
    assert tuner.best() == 1
    assert used == {1: 299, 8: 1}  # the first chunk at the ceiling, then one sender only


def test_when_the_machine_frees_up_the_climb_resumes():
    tuner = InFlight(8)
    play_on_a_full_machine(tuner, STEALING.__getitem__, FLAT_COST.__getitem__, 60, busy=0.97)
    assert tuner.best() == 1
    play_on_a_full_machine(tuner, STEALING.__getitem__, FLAT_COST.__getitem__, 120, busy=0.5)
    assert tuner.best() == 4


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


def at_one_sender(settings, monkeypatch, gateway, n: int):
    """A Sending campaign of ``n`` recipients in chunks of 10 through ``gateway``, the tuner held
    at one sender: (campaign, recipient ids, tuner)."""
    settings.SENDING_CHUNK_SIZE = 10
    monkeypatch.setattr(engine, "get_gateway", lambda **options: gateway)
    campaign = bulk_campaign_with_recipients(n, status=Campaign.Status.SENDING)
    tuner = inflight.in_flight_for(bot_id=campaign.bot_id, ceiling=8)
    monkeypatch.setattr(tuner, "choose", lambda: 1)
    return campaign, list(campaign.recipients.order_by("pk").values_list("pk", flat=True)), tuner


@pytest.mark.django_db
def test_the_engine_keeps_in_flight_what_the_tuner_chose_across_chunks(settings, monkeypatch):
    """With the tuner at one sender, the next chunk's sender waits for the one before: never
    two sends at once, although the next chunk starts while the one before is recorded."""
    settings.SENDING_CONCURRENCY = 8
    gateway = CountingGateway()
    campaign, ids, tuner = at_one_sender(settings, monkeypatch, gateway, 60)
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


def test_one_sender_on_a_full_machine_is_the_workers_own_thread():
    tuner = InFlight(8)
    play_on_a_full_machine(tuner, STEALING.__getitem__, FLAT_COST.__getitem__, 20, busy=0.97)
    assert tuner.saturated()
    assert tuner.inline(1)
    assert not tuner.inline(2)  # several senders need threads of their own
    play_on_a_full_machine(tuner, STEALING.__getitem__, FLAT_COST.__getitem__, 20, busy=0.5)
    assert not tuner.saturated()
    assert not tuner.inline(1)  # spare cores: the sends overlap the record on a thread


class ThreadNotingGateway(CountingGateway):
    def __init__(self) -> None:
        super().__init__(pause=0)
        self.threads: set[int] = set()

    def send_template(self, **kwargs) -> str:
        self.threads.add(threading.get_ident())
        return super().send_template(**kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("full", [True, False], ids=["full machine", "spare cores"])
def test_the_engine_sends_on_its_own_thread_when_the_tuner_says_inline(settings, monkeypatch, full):
    gateway = ThreadNotingGateway()
    campaign, ids, tuner = at_one_sender(settings, monkeypatch, gateway, 30)
    monkeypatch.setattr(tuner, "saturated", lambda: full)
    assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 30
    assert (gateway.threads == {threading.get_ident()}) is full
    assert set(campaign.recipients.values_list("status", flat=True)) == {Recipient.Status.SENT}
    assert set(tuner.rates) == {1}  # inline chunks are measured as the others are
