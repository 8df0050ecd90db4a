"""A chaos run of one whole campaign: the harness behind bench/chaos.py and tests/test_chaos.py.

Real processes — gunicorn, Celery workers and beat — send a bulk campaign through the loopback
fake Blip while the harness SIGKILLs a worker every ``kill_every`` seconds (and restarts it),
restarts its own Redis once, and cuts PostgreSQL off for ``db_outage`` seconds through a TCP
proxy it owns between the app and the database (the machine's PostgreSQL and Redis are never
touched). The fake Blip answers a share of sends with 500 or 429, and drops a share of answers
after accepting the message. During the outage a burst of inbound webhooks arrives; Blip's
redelivery (every ``redeliver_every`` seconds until a 2xx) is played by the harness.

It ends when the campaign is final, then plays Blip's delivery notifications for every message
the fake accepted that the database does not call sent, and counts what matters: messages sent
once, sent twice (must be 0), lost (must be 0), failed with their reasons, unknown outcomes the
notifications reconciled, and the wall time.

The harness process reads the database directly (not through the proxy), with Django already
set up on the database the app processes use.
"""

from __future__ import annotations

import collections
import concurrent.futures
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.chaos_processes import WA, Inbound, Processes, Redis, app_env
from tests.fakeblip import FakeBlip
from tests.tcpproxy import TcpProxy


@dataclass
class ChaosConfig:
    recipients: int = 50_000
    workers: int = 2
    concurrency: int = 4
    # Each disturbance is off when None (the benchmark's calm baseline turns them all off).
    kill_every: float | None = 10.0
    db_outage_at: float | None = 20.0  # seconds after the campaign starts sending
    db_outage: float = 60.0
    redis_restart_at: float | None = 10.0
    error: float = 0.05
    throttle: float = 0.02
    drop: float = 0.005
    inbound_burst: int = 100
    redeliver_every: float = 2.0
    claim_timeout: float = 60.0
    resume_after: float = 15.0
    scheduler_interval: float = 2.0
    rate_limit: int = 2000  # per second: the Redis limiter is on the path, never the bottleneck
    timeout: float = 1800.0
    slug: str = "chaos"

    @classmethod
    def calm(cls, config: ChaosConfig) -> ChaosConfig:
        """The same campaign and processes with no disturbance at all: the baseline."""
        return cls(
            recipients=config.recipients,
            workers=config.workers,
            concurrency=config.concurrency,
            kill_every=None,
            db_outage_at=None,
            redis_restart_at=None,
            error=0.0,
            throttle=0.0,
            drop=0.0,
            inbound_burst=0,
            claim_timeout=config.claim_timeout,
            resume_after=config.resume_after,
            scheduler_interval=config.scheduler_interval,
            rate_limit=config.rate_limit,
            timeout=config.timeout,
            slug="calm",
        )


@dataclass
class ChaosResult:
    recipients: int
    sent_once: int
    sent_twice: int
    lost: int
    lost_detail: dict[str, int]
    failed: dict[str, int]
    reconciled: int
    wall_seconds: float
    campaign_status: str
    kills: int
    workers_died_alone: list[str]
    redis_restarts: int
    gateway_faults: dict[str, int]
    inbound_during_outage: dict[int, int]
    inbound_acknowledged_lost: int
    inbound_recorded: int
    events: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        failed = ", ".join(f"{code} {n}" for code, n in sorted(self.failed.items())) or "none"
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.inbound_during_outage.items()))
        return [
            f"campaign: {self.campaign_status}, {self.recipients:,} recipients",
            f"sent once: {self.sent_once:,}",
            f"sent twice: {self.sent_twice}",
            f"lost: {self.lost} {self.lost_detail}",
            f"failed with reason: {failed}",
            f"unknown outcome reconciled by delivery events: {self.reconciled}",
            f"wall time: {self.wall_seconds:.0f} s",
            f"chaos: {self.kills} worker kills, {self.redis_restarts} Redis restart, "
            f"gateway faults {self.gateway_faults}",
            f"workers that exited on their own: {', '.join(self.workers_died_alone) or 'none'}",
            f"inbound burst during the outage answered: {statuses or 'nothing'}; "
            f"recorded after redelivery: {self.inbound_recorded}, "
            f"acknowledged but lost: {self.inbound_acknowledged_lost}",
        ]


def build_campaign(recipients: int, *, rate_limit: int, slug: str = "chaos"):
    """A scheduled bulk campaign due now, routed to a flow block; beat dispatches it."""
    from django.utils import timezone

    from bots.models import Bot, Contact, FlowBlock
    from campaigns.models import Campaign, MessageTemplate, Recipient

    bot = Bot.objects.create(
        slug=slug,
        name=slug.title(),
        whatsapp_number="+5511900000000",
        blip_api_key="chaos-key",
        blip_flow_id="chaos-flow",
        rate_limit_per_second=rate_limit,
        messaging_tier=Bot.MessagingTier.UNLIMITED,  # the chaos is elsewhere, not in R26
    )
    block = FlowBlock.objects.create(bot=bot, block_id="welcome", name="Welcome")
    template = MessageTemplate.objects.create(
        bot=bot, name="oferta", category="marketing", status="approved", body="Oi {{1}}!"
    )
    campaign = Campaign.objects.create(
        bot=bot,
        name="Chaos",
        kind=Campaign.Kind.BULK,
        template=template,
        parameters={"body": ["nome"]},
        routing=Campaign.Routing.FLOW,
        routing_bot=bot,
        flow_block=block,
        status=Campaign.Status.SCHEDULED,
        scheduled_at=timezone.now(),
    )
    for start in range(0, recipients, 5000):
        contacts = Contact.objects.bulk_create(
            Contact(bot=bot, phone=f"+55119{i:08d}")
            for i in range(start, min(recipients, start + 5000))
        )
        Recipient.objects.bulk_create(
            Recipient(campaign=campaign, contact=c, parameters={"body": [f"P{c.phone[-4:]}"]})
            for c in contacts
        )
    return campaign


def run(config: ChaosConfig, log_dir: Path, say=print) -> ChaosResult:
    import logging

    from django.db import connection

    logging.getLogger("httpx").setLevel(logging.WARNING)
    log_dir.mkdir(parents=True, exist_ok=True)

    db = connection.settings_dict
    campaign = build_campaign(config.recipients, rate_limit=config.rate_limit, slug=config.slug)
    say(f"built a campaign of {config.recipients:,} recipients on {db['NAME']}")
    with (
        FakeBlip() as fake,
        TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy,
    ):
        fake.chaos(error=config.error, throttle=config.throttle, drop=config.drop)
        redis = Redis(log_dir)
        redis.start()
        user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        url = f"postgres://{user}@127.0.0.1:{proxy.port}/{db['NAME']}"
        env = app_env(config, database_url=url, broker=redis.url, blip=fake.url)
        processes = Processes(config, env, log_dir)
        try:
            processes.start()
            say(f"web :{processes.web_port}, redis :{redis.port}, postgres via :{proxy.port}")
            return _Driver(config, campaign, fake, proxy, redis, processes, say).run()
        finally:
            processes.stop()
            redis.stop()


class _Driver:
    """One run's timeline: disturb on schedule, play Blip's redelivery, stop when all is done."""

    def __init__(self, config, campaign, fake, proxy, redis, processes, say) -> None:
        self.config, self.campaign, self.fake, self.say = config, campaign, fake, say
        self.proxy, self.redis, self.processes = proxy, redis, processes
        self.base = f"http://127.0.0.1:{processes.web_port}/webhooks/blip/{campaign.bot.slug}"
        secret = campaign.bot.webhook_secret
        self.inbound = Inbound(f"{self.base}/messages", secret, config.inbound_burst)
        self.client = httpx.Client(timeout=10)
        self.events: list[str] = []
        self.outage_answers: collections.Counter = collections.Counter()
        self.next_kill: float | None = None
        self.victim = 0
        self.cut_at: float | None = None
        self.redeliver_at = 0.0

    def run(self) -> ChaosResult:
        started = time.monotonic()
        sending_at = None
        try:
            while time.monotonic() - started < self.config.timeout:
                time.sleep(0.5)
                now = time.monotonic()
                self.campaign.refresh_from_db(fields=["status"])
                if sending_at is None:
                    if self.campaign.status == "scheduled":
                        continue
                    sending_at = now
                    every = self.config.kill_every
                    self.next_kill = now + every if every else None
                    self.say(f"beat dispatched the campaign after {now - started:.0f} s")
                self.disturb(now - sending_at, now)
                self.redeliver(now)
                if self.campaign.is_final and self.disturbed():
                    break
            wall = time.monotonic() - started
            self.say(f"campaign {self.campaign.status} after {wall:.0f} s; reconciling")
            for _ in range(30):
                if not self.inbound.pending:
                    break
                self.inbound.deliver_round(self.client)
                time.sleep(self.config.redeliver_every)
            reconciled = _reconcile(self.client, f"{self.base}/notifications", self.campaign,
                                    self.fake)  # fmt: skip
            return _result(self, wall, reconciled)
        finally:
            self.client.close()

    def disturbed(self) -> bool:
        """Whether every planned disturbance has happened (and the database is back)."""
        config = self.config
        outage = config.db_outage_at is None or (self.cut_at is not None and not self.proxy.is_cut)
        return outage and (config.redis_restart_at is None or self.redis.restarts > 0)

    def disturb(self, t: float, now: float) -> None:
        config = self.config
        if self.next_kill is not None and now >= self.next_kill:
            self.processes.kill_and_restart(self.victim)
            self.events.append(f"{t:.0f}s kill worker{self.victim}")
            self.victim = (self.victim + 1) % len(self.processes.workers)
            self.next_kill = now + config.kill_every
        planned = config.redis_restart_at
        if planned is not None and not self.redis.restarts and t >= planned:
            self.redis.restart()
            self.events.append(f"{t:.0f}s redis restarted")
            self.say(f"{t:.0f} s: Redis restarted")
        if config.db_outage_at is None:
            return
        if self.cut_at is None and t >= config.db_outage_at:
            self.proxy.cut()
            self.cut_at = now
            self.events.append(f"{t:.0f}s database cut")
            self.say(f"{t:.0f} s: database cut for {config.db_outage:.0f} s; inbound burst")
        elif self.proxy.is_cut and now - self.cut_at >= config.db_outage:
            self.proxy.restore()
            self.events.append(f"{t:.0f}s database back")
            self.say(f"{t:.0f} s: database back ({self.proxy.connections_refused} refused)")

    def redeliver(self, now: float) -> None:
        """The burst arrives when the database is cut; Blip retries until a 2xx."""
        if self.cut_at is None or not self.inbound.pending or now < self.redeliver_at:
            return
        during = self.proxy.is_cut
        before = len(self.inbound.answers)
        self.inbound.deliver_round(self.client)
        if during:
            self.outage_answers.update(s for _, _, s in self.inbound.answers[before:])
        self.redeliver_at = now + self.config.redeliver_every


def _reconcile(client: httpx.Client, url: str, campaign, fake: FakeBlip) -> int:
    """Blip's delivery notifications for accepted messages the database does not call sent."""
    from campaigns.models import Recipient

    accepted = set(fake.sent_message_ids())
    unsettled = Recipient.objects.filter(
        campaign=campaign, status__in=[Recipient.Status.FAILED, Recipient.Status.SENDING]
    ).values_list("pk", flat=True)
    ids = [f"c{campaign.pk}r{pk}" for pk in unsettled if f"c{campaign.pk}r{pk}" in accepted]
    headers = {"Authorization": f"Key {campaign.bot.webhook_secret}"}

    def notify(message_id: str) -> int:
        body = {"id": message_id, "event": "received", "from": "x" + WA, "to": "bot@msging.net"}
        return client.post(url, json=body, headers=headers).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(notify, ids))
    if any(status != 200 for status in answers):
        raise RuntimeError(f"delivery notifications refused: {collections.Counter(answers)}")
    return Recipient.objects.filter(
        pk__in=[int(i.rsplit("r", 1)[1]) for i in ids], status=Recipient.Status.DELIVERED
    ).count()


def _result(driver: _Driver, wall: float, reconciled: int) -> ChaosResult:
    from bots.models import Message, ProcessedEnvelope
    from campaigns.models import Recipient

    config, campaign, fake, inbound = driver.config, driver.campaign, driver.fake, driver.inbound

    driver.processes.note_dead_workers()
    campaign.refresh_from_db()
    counts = collections.Counter(fake.sent_message_ids())
    prefix = f"c{campaign.pk}r"
    rows = Recipient.objects.filter(campaign=campaign).values_list("pk", "status", "failure_code")
    lost = collections.Counter()
    failed = collections.Counter()
    for pk, status, code in rows:
        accepted = counts.get(f"{prefix}{pk}", 0) > 0
        if status in (Recipient.Status.PENDING, Recipient.Status.SENDING):
            lost["never_settled"] += 1
        elif status == Recipient.Status.FAILED:
            failed[code] += 1
            if accepted:
                lost["accepted_but_failed"] += 1
        elif not accepted:
            lost["sent_but_never_accepted"] += 1
    recorded = ProcessedEnvelope.objects.filter(
        bot=campaign.bot, envelope_id__startswith="chaos-in-"
    ).count()
    messages = Message.objects.filter(
        bot=campaign.bot, direction="in", gateway_message_id__startswith="chaos-in-"
    ).values_list("gateway_message_id", flat=True)
    acknowledged_lost = len(inbound.acknowledged - set(messages))
    return ChaosResult(
        recipients=config.recipients,
        sent_once=sum(1 for n in counts.values() if n == 1),
        sent_twice=sum(1 for n in counts.values() if n > 1),
        lost=sum(lost.values()),
        lost_detail=dict(lost),
        failed=dict(failed),
        reconciled=reconciled,
        wall_seconds=wall,
        campaign_status=campaign.status,
        kills=driver.processes.kills,
        workers_died_alone=driver.processes.died_alone,
        redis_restarts=driver.redis.restarts,
        gateway_faults=fake.chaos_counts(),
        inbound_during_outage=dict(driver.outage_answers),
        inbound_acknowledged_lost=acknowledged_lost,
        inbound_recorded=recorded,
        events=driver.events,
    )
