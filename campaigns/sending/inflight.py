"""How many sends a worker keeps in flight: found by trying, chunk after chunk.

The right number depends on how long the gateway takes to answer. The real Blip answers in
tens of milliseconds, so a worker needs several sends waiting at once to use its CPU; a gateway
on the same machine answers in well under a millisecond, and then eight sender threads mostly
hand the GIL to each other: on the loopback bench one worker sent 333 msg/s with 8 in flight,
392 with 2 and 412 with 1 (CPU per message 2.85 → 2.32 → 1.88 ms).

So ``SENDING_CONCURRENCY`` is the ceiling and each worker process measures what it gets: every
chunk's messages per second are kept (a moving average) for the number of senders it used
(1, 2, 4, … up to the ceiling). The first chunk goes out at the ceiling and the second with one
sender, so the climb starts from the better end; then chunks go out at the current number, and
now and then one at a neighbour (half or double) to see whether that is better now. A lower
number within ``TIE`` of the best is taken: it sends as fast for less CPU, and on a machine whose
cores are all busy the CPU one worker saves is another worker's (two workers on two cores:
1,040–1,150 msg/s with one sender each, 990–1,050 when each took the higher of two numbers that
looked alike to it). The measurements are per process and per bot (each bot has its own gateway
keys and rate limit).

A worker's own pace is not the whole story once the machine's cores are all busy (``SATURATED``;
a machine never reads 100 % busy while its processes wait on each other's answers: two workers,
the database and a loopback gateway on two cores read 87–89 %):
then a worker that adds senders sends faster only by taking CPU from its neighbours (the other
workers, the database, a gateway on the same machine), and the machine as a whole sends less —
two workers on two cores each climbed to two or four senders, each faster alone, together
0.64× the plain loop where one sender each gave 0.73×. More senders help a worker that waits for
its answers, not one that is busy: so each chunk's CPU time (the process's) is kept beside its
pace, and on a full machine no number above one that already keeps the process's CPU busy half
the time (``BUSY_PROCESS``) is tried. Far from the gateway the senders mostly wait (eight senders
50 ms away keep a process busy about a quarter of the time), and the climb is as before.
"""

from __future__ import annotations

import threading
from pathlib import Path

PROBE_EVERY = 8  # chunks between two tries of a number next to the current one ...
PROBE_EVERY_MOST = 64  # ... doubled after each try that was clearly worse, up to this
FIRST_PROBE = 2  # chunks before a new neighbour's first try
CLEARLY_WORSE = 0.10  # a try more than 10 % below the best backs that number's tries off
WEIGHT = 0.3  # weight of the newest chunk in a number's moving average ...
STALE = 24  # ... unless its last measurement is older than this many chunks: then replaced
TIE = 0.05  # a lower number within 5 % of the best is as good, and cheaper: it is taken
SWITCH_UP = 0.08  # a higher number must beat the current one by 8 % ...
SWITCH_UP_SAMPLES = 2  # ... over at least two recent chunks (one chunk's pace is noisy)
MIN_SENDS = 10  # a chunk smaller than this says little about the rate: not counted
SATURATED = 0.8  # the machine is full when this share of its CPU time was busy ...
BUSY_PROCESS = 0.5  # ... and then no number above one keeping the process this busy is tried
_PROC_STAT = Path("/proc/stat")


class InFlight:
    """The sends-in-flight choice of one worker process for one bot (thread-safe).

    Hill-climbing with hysteresis: the current number's neighbours (half, double) are tried
    every ``PROBE_EVERY`` chunks, less often while they keep losing clearly (a try at a much
    slower number costs a whole chunk at that pace). A lower number that sends as fast (within
    ``TIE``) is taken at once; a higher one only when it has been clearly faster over more than
    one chunk, because with every core busy one chunk's pace varies by ±20 % and a worker that
    wanders upwards burns CPU its neighbours needed.
    """

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        levels, n = [], 1
        while n < self.ceiling:
            levels.append(n)
            n *= 2
        self.levels = [*levels, self.ceiling]  # 1, 2, 4, … and the ceiling itself
        self.current = self.ceiling
        self.rates: dict[int, float] = {}  # senders → messages per second (moving average)
        self.costs: dict[int, float] = {}  # senders → CPU seconds per message (moving average)
        # (a number's rate times its cost: the share of a core the process keeps busy with it)
        self.busy: float | None = None  # share of the machine's CPU busy (moving average)
        self._samples: dict[int, int] = {}  # senders → chunks in its average
        self._measured_at: dict[int, int] = {}  # senders → chunk of its last measurement
        self._every: dict[int, int] = {}  # senders → chunks between its tries
        self._next_try: dict[int, int] = {}  # senders → chunk of its next try
        self._chunk = 0
        self._lock = threading.Lock()

    def best(self) -> int:
        """The number chunks go out with between tries (the ceiling until one is measured)."""
        with self._lock:
            return self.current

    def choose(self) -> int:
        """Senders for the next chunk: the current number, or a neighbour when its try is due."""
        with self._lock:
            self._chunk += 1
            if self._chunk <= 2:  # both ends first: the climb starts from the better one
                return self.ceiling if self._chunk == 1 else self.levels[0]
            if self.ceiling not in self.rates or self.levels[0] not in self.rates:
                return self.current  # their first chunks are still out
            i = self.levels.index(self.current)
            beside = [self.levels[j] for j in (i - 1, i + 1) if 0 <= j < len(self.levels)]
            beside = [n for n in beside if self.allowed(n)]
            for n in beside:
                self._next_try.setdefault(n, self._chunk + FIRST_PROBE)
            due = [n for n in beside if self._chunk >= self._next_try[n]]
            if not due:
                return self.current
            n = min(due, key=self._next_try.__getitem__)
            self._next_try[n] = self._chunk + self._every.get(n, PROBE_EVERY)
            return n

    def observe(
        self,
        senders: int,
        sends: int,
        seconds: float,
        cpu_seconds: float | None = None,
        busy: float | None = None,
    ) -> None:
        """A chunk of ``sends`` messages went out in ``seconds`` with ``senders`` in flight,
        using ``cpu_seconds`` of this process's CPU while the machine's CPU was ``busy`` (0–1)."""
        if senders not in self.levels or sends < MIN_SENDS or seconds <= 0:
            return
        rate = sends / seconds
        with self._lock:
            old, at = self.rates.get(senders), self._measured_at.get(senders, 0)
            fresh = old is not None and self._chunk - at <= STALE
            if fresh:
                self.rates[senders] = old + WEIGHT * (rate - old)
                self._samples[senders] += 1
            else:
                self.rates[senders], self._samples[senders] = rate, 1
            if cpu_seconds is not None and cpu_seconds >= 0:
                cost, old_cost = cpu_seconds / sends, self.costs.get(senders)
                self.costs[senders] = (
                    old_cost + WEIGHT * (cost - old_cost)
                    if fresh and old_cost is not None
                    else cost
                )
            if busy is not None:
                self.busy = busy if self.busy is None else self.busy + WEIGHT * (busy - self.busy)
            self._measured_at[senders] = self._chunk
            every = self._every.get(senders, PROBE_EVERY)
            if rate < max(self.rates.values()) * (1 - CLEARLY_WORSE):
                self._every[senders] = min(every * 2, PROBE_EVERY_MOST)
            else:
                self._every[senders] = PROBE_EVERY
            self._move()

    def saturated(self) -> bool:
        """Whether the machine's cores have lately been all busy."""
        return self.busy is not None and self.busy >= SATURATED

    def allowed(self, senders: int) -> bool:
        """On a full machine, only up to the lowest number that keeps the process busy half the
        time (``BUSY_PROCESS``): more senders would only take CPU from the neighbours."""
        if not self.saturated():
            return True
        return not any(
            m < senders and self.rates[m] * self.costs[m] >= BUSY_PROCESS
            for m in self.costs
            if m in self.rates
        )

    def inline(self, senders: int) -> bool:
        """Whether a chunk's one sender should be the worker's own thread: on a full machine
        there is no core to overlap the sends with the record on, and a sender thread beside the
        worker's costs each message the GIL's handing back and forth (two workers on two cores:
        0.99 ms of process CPU per message inline against 1.07 on a sender thread, and 0.77× the
        plain loop against 0.72×)."""
        return senders == 1 and self.saturated()

    def _move(self) -> None:
        """Take a lower number that is as fast, or a higher one that is clearly faster; on a full
        machine, only among the numbers ``allowed``."""
        rates = {n: r for n, r in self.rates.items() if self.allowed(n)}
        if self.current not in rates:
            top = max(rates.values())
            self.current = min(n for n, r in rates.items() if r >= top * (1 - TIE))
            return
        here = rates[self.current]
        top = max(rates.values())
        cheaper = [
            n for n in self.levels if n < self.current and rates.get(n, 0) >= top * (1 - TIE)
        ]
        if cheaper:
            self.current = cheaper[0]
            return
        faster = [
            n
            for n in self.levels
            if n > self.current
            and rates.get(n, 0) > here * (1 + SWITCH_UP)
            and self._samples.get(n, 0) >= SWITCH_UP_SAMPLES
        ]
        if faster:
            self.current = max(faster, key=rates.__getitem__)


def machine_ticks() -> tuple[int, int] | None:
    """The machine's (busy, total) CPU time since boot, in ticks (Linux), else None.

    The busy share over a chunk is the difference of two readings (``busy_between``).
    """
    try:
        with _PROC_STAT.open() as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def busy_between(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Share of the machine's CPU busy between two ``machine_ticks`` readings, or None."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


_by_bot: dict[tuple[int, int], InFlight] = {}
_by_bot_lock = threading.Lock()


def in_flight_for(*, bot_id: int, ceiling: int) -> InFlight:
    """This process's measurements for the bot (the same object for every task it runs)."""
    with _by_bot_lock:
        key = (bot_id, ceiling)
        if key not in _by_bot:
            _by_bot[key] = InFlight(ceiling)
        return _by_bot[key]


def forget() -> None:
    """Drop every measurement (tests start from the ceiling)."""
    with _by_bot_lock:
        _by_bot.clear()
