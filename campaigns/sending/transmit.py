"""Sending the claimed recipients of a chunk, several at a time: HTTP only, no database.

Each send runs on a thread of the worker's pool (or, on a full machine with one sender, on the
worker's own thread): the checks that need no query (opted out, parameters), the reply context,
the rate limit and the template itself, with transient failures retried. What comes back is a
``SentRecord`` or a ``Failure`` for the record step; the sends never touch the database (a pool
thread would open a connection of its own).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.gateway import (
    GatewayError,
    PermanentGatewayError,
    TransientGatewayError,
    UnknownOutcomeError,
)
from bots.gateway.blip import backoff_delay
from bots.models import Bot, FlowBlock
from campaigns.models import Campaign, MessageTemplate, Recipient
from campaigns.sending.claims import Failure
from campaigns.sending.codes import (
    GATEWAY_PERMANENT,
    GATEWAY_TRANSIENT,
    INVALID_PARAMETERS,
    OPTED_OUT,
    UNKNOWN_OUTCOME,
)
from campaigns.sending.effects import SentRecord
from campaigns.sending.inflight import busy_between, machine_ticks
from campaigns.sending.ratelimit import InProcessLimiter, get_limiter
from campaigns.sending.render import components_for

SEND_ATTEMPTS = 5
_sleep = time.sleep  # a seam: tests skip the backoff without freezing every thread's sleep


class ChunkError(Exception):
    """A send raised something unexpected; the chunk's other outcomes are in ``outcomes``."""

    def __init__(self, outcomes: list, error: BaseException) -> None:
        super().__init__(repr(error))
        self.outcomes, self.error = outcomes, error


def message_id_for(recipient: Recipient) -> str:
    """Our id of the recipient's message: delivery events carry it back to the recipient."""
    return f"c{recipient.campaign_id}r{recipient.pk}"


class ChunkSends:
    """A chunk's sends on the pool: ``workers`` senders taking its recipients in turn.

    One task per sender rather than one per send: a future per message cost a lock, a condition
    and two thread wake-ups each, about 4 % of a worker's CPU. The senders begin once the chunk
    ``after`` has had its last answer, so exactly ``workers`` sends are in flight while the
    chunk before is recorded, and ``started``/``ended`` bound this chunk's sends alone
    (``inflight`` learns from them, and from the CPU the process and the machine spent meanwhile).

    With no pool (``pool=None``) the one sender is the calling thread itself, and the chunk is
    sent before the constructor returns.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor | None,
        recipients: Sequence[Recipient],
        gateway,
        workers: int,
        after: ChunkSends | None = None,
    ):
        self.recipients = list(recipients)
        self.plan = SendPlan.of(self.recipients[0].campaign) if self.recipients else None
        self.results: list = [None] * len(self.recipients)
        self._turn = itertools.count()  # next() on it is atomic: each recipient goes out once
        self.senders = 1 if pool is None else max(1, min(workers, len(self.recipients)))
        self.started = self.ended = 0.0
        self._cpu = [0.0, 0.0]  # the process's CPU time at the start and at the end
        self._ticks: list = [None, None]  # the machine's (``machine_ticks``) likewise
        self.answered = threading.Event()  # set when its last sender is done
        self._left, self._lock = self.senders, threading.Lock()
        self._after = after
        if pool is None:  # the calling thread is the one sender
            done: Future = Future()
            try:
                done.set_result(self._send(gateway))
            except Exception as exc:  # as the pool would keep it, for ``sends_outcomes``
                done.set_exception(exc)
            self.futures: list[Future] = [done]
        else:
            self.futures = [pool.submit(self._send, gateway) for _ in range(self.senders)]

    def _send(self, gateway) -> None:
        try:
            if self._after is not None:
                self._after.answered.wait()
            with self._lock:
                if not self.started:
                    self.started = time.perf_counter()
                    self._cpu[0], self._ticks[0] = time.process_time(), machine_ticks()
            recipients, plan = self.recipients, self.plan
            while (i := next(self._turn)) < len(recipients):
                try:
                    self.results[i] = send_one(recipient=recipients[i], gateway=gateway, plan=plan)
                except Exception as exc:  # a bug in one send must not stop the others
                    self.results[i] = _Broken(exc)
        finally:
            with self._lock:
                self._left -= 1
                if not self._left:
                    self.ended = time.perf_counter()
                    self._cpu[1], self._ticks[1] = time.process_time(), machine_ticks()
                    self.answered.set()

    def release(self) -> None:
        """Its senders are done: let go of the chunk before (else a batch's chunks would hold on
        to each other, and their recipients, until the batch ends)."""
        self._after = None

    def seconds(self) -> float:
        """How long its sends took, first start to last answer (after ``sends_outcomes``)."""
        return self.ended - self.started if self.started else 0.0

    def cpu_seconds(self) -> float | None:
        """The process's CPU time over those seconds (all its threads: the chunk before is
        being recorded meanwhile, as it is for every chunk)."""
        return self._cpu[1] - self._cpu[0] if self.started else None

    def machine_busy(self) -> float | None:
        """Share of the machine's CPU that was busy over those seconds (None off Linux)."""
        return busy_between(*self._ticks)


class _Broken(NamedTuple):
    error: Exception


def sends_start(
    *,
    pool: ThreadPoolExecutor | None,
    recipients: Sequence[Recipient],
    gateway,
    workers: int,
    after: ChunkSends | None = None,
) -> ChunkSends:
    """Put the claimed recipients' sends on the pool and return at once, so the caller can
    record the previous chunk while these go out (once ``after``'s sends are answered). With
    no pool, send them on this thread, one at a time, and return when they are answered."""
    return ChunkSends(pool, recipients, gateway, workers, after)


def sends_outcomes(chunk: ChunkSends) -> list[SentRecord | Failure]:
    """Wait for the sends ``sends_start`` began; their outcomes, in order.

    A send that raises something unexpected (a bug) has no outcome: ``ChunkError`` carries
    the others', so the caller records them before giving up; that recipient stays Sending.
    """
    for future in chunk.futures:
        future.result()
    chunk.release()
    outcomes = [r for r in chunk.results if not isinstance(r, _Broken)]
    broken = [r.error for r in chunk.results if isinstance(r, _Broken)]
    if broken:
        raise ChunkError(outcomes, broken[0])
    return outcomes


class SendPlan(NamedTuple):
    """What every send of a chunk shares (one campaign's), read once per chunk, not per send."""

    bot: Bot
    target_bot: Bot
    block: FlowBlock | None
    template: MessageTemplate
    limiter: InProcessLimiter
    limiter_key: str
    attempts: int

    @classmethod
    def of(cls, campaign: Campaign) -> SendPlan:
        bot = campaign.bot
        return cls(
            bot=bot,
            target_bot=campaign.routing_bot,
            block=campaign.flow_block,
            template=campaign.template,
            limiter=get_limiter(),
            limiter_key=f"bot-{bot.pk}",
            attempts=getattr(settings, "SENDING_ATTEMPTS", SEND_ATTEMPTS),
        )


def send_one(
    *, recipient: Recipient, gateway, plan: SendPlan | None = None
) -> SentRecord | Failure:
    """Send one claimed recipient: what to record for it."""
    plan = plan or SendPlan.of(recipient.campaign)
    if recipient.contact.opted_out:
        return Failure(recipient, OPTED_OUT, _("The contact opted out."))
    try:
        components = components_for(plan.template, recipient.parameters or {})
    except ValueError as exc:
        return Failure(recipient, INVALID_PARAMETERS, str(exc))
    try:
        gateway_id = deliver(recipient, gateway, components, plan)
    except UnknownOutcomeError as exc:
        reason = _("Unknown outcome: %(detail)s") % {"detail": exc.reason}
        return Failure(recipient, UNKNOWN_OUTCOME, reason)
    except TransientGatewayError as exc:
        return Failure(recipient, GATEWAY_TRANSIENT, exc.reason)
    except GatewayError as exc:
        return Failure(recipient, GATEWAY_PERMANENT, exc.reason)
    except ValueError as exc:  # the gateway refused our input before sending anything
        return Failure(recipient, INVALID_PARAMETERS, str(exc))
    return SentRecord(recipient, gateway_id, components, timezone.now())


def deliver(
    recipient: Recipient, gateway, components: list[dict], plan: SendPlan | None = None
) -> str:
    """Set the reply context, then send; transient failures are retried with jittered backoff.

    The context goes first so that a contact answering at once already lands where the campaign
    says; setting it is idempotent, so a retry may set it again.
    """
    plan = plan or SendPlan.of(recipient.campaign)
    bot, contact, template = plan.bot, recipient.contact, plan.template
    for attempt in range(plan.attempts):
        try:
            gateway.set_context(
                bot=bot, contact=contact, target_bot=plan.target_bot, block=plan.block
            )
            plan.limiter.acquire(plan.limiter_key, bot.rate_limit_per_second)
            return gateway.send_template(
                bot=bot,
                contact=contact,
                message_id=message_id_for(recipient),
                template_name=template.name,
                language=template.language,
                components=components,
            )
        except TransientGatewayError as exc:
            if attempt + 1 >= plan.attempts:
                raise
            _sleep(max(exc.retry_after or 0.0, backoff_delay(attempt, base=0.2, cap=10.0)))
    raise PermanentGatewayError("no attempt made")  # attempts < 1: a configuration error
