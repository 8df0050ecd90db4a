"""Pages under load: 20 concurrent users on the operator and Desk pages, served by gunicorn.

    python bench/pages.py [--recipients 1000000] [--campaigns 10000] [--users 20]
                          [--think-ms 1000] [--seconds 24] [--rounds 3] [--smoke]

Builds a large data set in a throwaway PostgreSQL database ``<name>_bench_pages`` with bulk SQL
(INSERT … SELECT over generate_series): 10,000 campaigns of one bot (a few of another), most of
them sent and some scheduled, sending, drafts, canceled or failed; a million recipients spread
over them with a long tail (most campaigns are individual sends, a few bulk ones hold most of the
audience) and the status mix of a real send; their rolled-up results; a Desk with teams,
attendants, waiting, open and closed tickets and their conversations.

Then it starts the web process of the ``Procfile`` (gunicorn, 2 workers of 4 threads, the
production settings of the README: ``DJANGO_DEBUG=0``, behind a TLS proxy) on a free port, logs
the users in (an operator, an attendant, a supervisor: their session cookies), and drives
``wrk`` (Debian's /usr/bin/wrk) with ``--users`` connections, each a user who opens a page,
reads it for a moment (the think time: 0–2 s, 1 s on average) and opens it again. The pages: the
campaign list, the largest campaign's detail and report, the wizard's step 1, the Desk home, an
open ticket, the supervisor board. Each answers 200 before the load (a redirect to the login page
would be fast and wrong), and every status during the load is checked. The baselines, through
the same server in the same run: ``/healthz`` (gunicorn and the WSGI stack alone) and the
anonymous login page (Django's middleware and a template, no data). The pages and baselines
take turns in ``--rounds`` rounds, so that a busy moment of the shared machine falls on all of
them rather than on one page's whole run; each page's latencies over the rounds are merged.

Prints p50 / p95 / p99 and requests/s per page with the baselines beside them and the queries
each page runs (counted once in this process on the same data), and ends with
``RESULT pages_p95_ms=<the worst page's p95> goal=100 PASS|FAIL``.

``--think-ms 0`` is the closed loop instead (every user asks again the moment an answer
arrives): a saturation test, where the p95 is the queue of 20 requests on 2 cores.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _harness import (
    ROOT,
    arguments,
    django_setup,
    machine,
    parse,
    result,
    throwaway_database,
    timed,
)

GOAL_P95_MS = 100.0
SECRET = "bench-pages-secret-key-" + "x" * 40
WRK = shutil.which("wrk") or "/usr/bin/wrk"
# A campaign's status: its share of the campaigns (per 1000), drafts and failures hold nobody.
STATUS_MIX = [
    ("sent", 780),
    ("sent_with_failures", 80),
    ("sending", 20),
    ("scheduled", 50),
    ("draft", 30),
    ("canceled", 20),
    ("failed", 20),
]
LUA = r"""
-- One user per thread and connection, each with a session of their own (a shared session would
-- serialise the requests that write it); TLS as the proxy in front says it; a think time
-- between requests; every status but 200 is counted; done() hands back the raw latencies.
local think, users = tonumber(os.getenv("BENCH_THINK_MS")), tonumber(os.getenv("BENCH_USERS"))
local sessions = {}
for cookie in string.gmatch(os.getenv("BENCH_COOKIES") or "", "%S+") do
  table.insert(sessions, cookie)
end
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  if #sessions > 0 then thread:set("cookie", sessions[(#threads - 1) % #sessions + 1]) end
end
function init(args)
  -- wrk sets up its threads one after the other: a pause here starts each user a moment after
  -- the one before (a ramp as long as the longest think), not all of them in one millisecond.
  if think > 0 then os.execute(string.format("sleep %.3f", 2 * think / 1000 / users)) end
  wrk.headers["X-Forwarded-Proto"] = "https"
  if cookie then wrk.headers["Cookie"] = cookie end
  bad, statuses = 0, ""
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
-- A browser sends its request as soon as its connection is open; the think time comes between
-- a page and the next. (A connection held idle before its first request keeps one of
-- gunicorn's threads waiting for it, up to 5 s: with 20 users connecting at once, all eight
-- threads waited on idle new connections and the first seconds of every run stalled 0.3-0.9 s.)
local opened = false
if think > 0 then
  function delay()
    if not opened then
      opened = true
      return 0
    end
    return math.random(0, 2 * think)
  end
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if #statuses < 40 then statuses = statuses .. status .. " " end
  end
end
function done(summary, latency, requests)
  local bad_total, seen = 0, ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    seen = seen .. thread:get("statuses")
  end
  local pairs = {}
  for i = 1, #latency do
    local value, count = latency(i)
    table.insert(pairs, string.format("[%d,%d]", value, count))
  end
  io.write(string.format(
    'WRK-JSON {"requests": %d, "seconds": %.3f, "timeouts": %d, "reconnects": %d, "bad": %d, '
    .. '"statuses": "%s", "latencies_us": [%s]}\n',
    summary.requests, summary.duration / 1e6, summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write, bad_total, seen,
    table.concat(pairs, ",")))
end
"""


# --- the data ---------------------------------------------------------------------------------


def _sql(statement: str, params=()) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _analyze() -> None:
    _sql("ANALYZE")


def campaign_sizes(campaigns: int, recipients: int) -> tuple[list[str], list[int]]:
    """Each campaign's status and audience: drafts and failed ones hold nobody; two in three of
    the others are individual sends (one contact); the bulk ones share the rest along a long
    tail, the largest (the newest campaign, the one whose pages are measured) first."""
    statuses = []
    for i in range(campaigns):
        slot, acc = (i * 7919) % 1000, 0  # a fixed spread of the mix over the list
        for status, share in STATUS_MIX:
            acc += share
            if slot < acc:
                statuses.append(status)
                break
    statuses[0] = "sent"  # the newest: a large finished send
    holders = [i for i, s in enumerate(statuses) if s not in ("draft", "failed")]
    bulk = [i for n, i in enumerate(holders) if n % 3 == 0]
    sizes = [0] * campaigns
    single = [i for i in holders if i not in set(bulk)]
    for i in single:
        sizes[i] = 1
    rest = max(recipients - len(single), len(bulk))
    # Zipf-like weights 1/(rank+1): a few bulk campaigns hold most of the audience.
    weights = [1 / (rank + 1) for rank in range(len(bulk))]
    total = sum(weights)
    given = [max(1, int(rest * w / total)) for w in weights]
    given[0] += rest - sum(given)
    for i, size in zip(bulk, given, strict=True):
        sizes[i] = size
    return statuses, sizes


def build(args) -> dict:
    """Everything the pages read; returns the users, the campaign and the ticket to open."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bots.models import Bot, BotMembership, Contact, FlowBlock, Message
    from campaigns.models import Campaign, CampaignResults, MessageTemplate, Recipient
    from desk.models import (
        Attendant,
        ReplyDirective,
        Team,
        TeamMembership,
        Ticket,
        TicketMessage,
        TicketSequence,
    )
    from tests.pgbulk import insert_select

    users = get_user_model().objects
    now = timezone.now()
    loja = Bot.objects.create(
        slug="loja", name="Loja", whatsapp_number="+5511999990000", desk_enabled=True
    )
    outra = Bot.objects.create(
        slug="outra", name="Outra", whatsapp_number="+5511999990001", desk_enabled=True
    )
    blocks = [
        FlowBlock.objects.create(bot=loja, block_id=block_id, name=name)
        for block_id, name in [("inicio", "Início"), ("catalogo", "Catálogo")]
    ]
    human = FlowBlock.objects.create(bot=loja, block_id="desk:atendimento", name="Humano")
    teams = [Team.objects.get(bot=loja, name="Default")]
    teams += [Team.objects.create(bot=loja, name=n) for n in ("Vendas", "Suporte", "Cobrança")]
    templates = [
        MessageTemplate.objects.create(
            bot=bot,
            name=f"modelo_{n}",
            category="marketing" if n % 2 else "utility",
            status="approved",
            body="Olá, {{1}}! Temos novidades para você." if n % 3 else "Olá! Novidades.",
        )
        for bot in (loja, outra)
        for n in range(12)
    ]
    # No passwords (hashing forty of them takes seconds): the users are logged in by session.
    operator = users.create_user("operador", first_name="Olga", is_staff=True)
    boss = users.create_user("supervisora", first_name="Sara", is_staff=True)
    creators = [operator] + [
        users.create_user(f"operador{n}", first_name=f"Op {n}") for n in range(8)
    ]
    for user in creators:
        BotMembership.objects.create(user=user, bot=loja, role="operator")
    BotMembership.objects.create(user=operator, bot=outra, role="operator")
    BotMembership.objects.create(user=boss, bot=loja, role="admin")
    people = []
    for n in range(30):
        user = users.create_user(f"atendente{n}@example.com")
        BotMembership.objects.create(user=user, bot=loja, role="attendant")
        person = Attendant.objects.create(
            bot=loja,
            email=user.username,
            name=f"Atendente {n}" if n else "Ana Souza",
            status="online" if n % 3 else "offline",
            user=user,
            slots=12,
            last_seen_at=now,
        )
        TeamMembership.objects.create(attendant=person, team=teams[n % 4])
        if n % 5 == 0:
            TeamMembership.objects.create(attendant=person, team=teams[(n + 1) % 4])
        people.append(person)
    ana = people[0]

    # Contacts: as many as the largest bulk campaign needs, a few hundred for the other bot.
    statuses, sizes = campaign_sizes(args.campaigns, args.size)
    contacts = max(sizes) + 1000
    with timed() as took:
        insert_select(
            Contact,
            "FROM generate_series(1, %s) AS g",
            {
                "bot": str(loja.pk),
                "phone": "'+55119' || lpad(g::text, 8, '0')",
                "name": "'Pessoa ' || g",
                "extras": "jsonb_build_object('cidade', (ARRAY['BH','Rio','SP'])[1 + mod(g, 3)])",
                "last_inbound_at": "CASE WHEN g <= 2000 "
                "THEN now() - mod(g, 30) * interval '1 hour' END",
            },
            [contacts],
        )
        insert_select(
            Contact,
            "FROM generate_series(1, 500) AS g",
            {"bot": str(outra.pk), "phone": "'+55219' || lpad(g::text, 8, '0')"},
        )
    print(f"  {contacts:,} contacts in {took[0]:.1f} s", flush=True)
    first_contact = Contact.objects.filter(bot=loja).order_by("pk").values_list("pk", flat=True)[0]
    first_other = Contact.objects.filter(bot=outra).order_by("pk").values_list("pk", flat=True)[0]

    # Campaigns: 1 in 20 belongs to the other bot; the newest (index 0) is the large one.
    _sql(
        "CREATE TEMPORARY TABLE bench_plan (i int, status text, size int, bot_id bigint, "
        "kind text, routing text, created timestamptz)"
    )
    rows = []
    for i, (status, size) in enumerate(zip(statuses, sizes, strict=True)):
        bot = outra if i % 20 == 19 else loja
        individual = size == 1 or (size == 0 and i % 3)
        routing = ("attendant", "flow", "team")[i % 3] if individual else ("flow", "team")[i % 2]
        if bot == outra:
            routing = "flow"
        # One every 50 minutes over a year (scheduled ones were created lately); i microseconds
        # keep each moment unique, to find the campaign of each plan row again.
        created = now - timezone.timedelta(minutes=30 + i * 50, microseconds=-i)
        if status == "scheduled":
            created = now - timezone.timedelta(minutes=30 + i, microseconds=-i)
        rows.append(
            (i, status, size if bot == loja else min(size, 500), bot.pk,
             "individual" if individual else "bulk", routing, created)
        )  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_plan VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    template_of = {bot.pk: [t.pk for t in templates if t.bot_id == bot.pk] for bot in (loja, outra)}
    block_of = {loja.pk: blocks[0].pk}
    other_block = FlowBlock.objects.create(bot=outra, block_id="inicio", name="Início")
    block_of[outra.pk] = other_block.pk
    team_of = {loja.pk: teams[1].pk, outra.pk: Team.objects.get(bot=outra, name="Default").pk}
    with timed() as took:
        insert_select(
            Campaign,
            "FROM bench_plan p ORDER BY p.i DESC",
            {
                "bot": "p.bot_id",
                "name": "(ARRAY['Black Friday','Boas-vindas','Retomada','Aniversário',"
                "'Oferta relâmpago'])[1 + mod(p.i, 5)] || ' ' || p.i",
                "kind": "p.kind",
                "template": f"CASE WHEN p.bot_id = {loja.pk} THEN "
                f"(ARRAY{template_of[loja.pk]})[1 + mod(p.i, 12)] "
                f"ELSE (ARRAY{template_of[outra.pk]})[1 + mod(p.i, 12)] END",
                "parameters": """'{"body": ["nome"]}'::jsonb""",
                "routing": "p.routing",
                "routing_bot": "p.bot_id",
                "flow_block": f"CASE WHEN p.routing = 'flow' THEN CASE WHEN p.bot_id = {loja.pk} "
                f"THEN {block_of[loja.pk]} ELSE {block_of[outra.pk]} END "
                f"WHEN p.routing = 'attendant' THEN {human.pk} END",
                "team": f"CASE WHEN p.routing = 'team' THEN CASE WHEN p.bot_id = {loja.pk} "
                f"THEN {team_of[loja.pk]} ELSE {team_of[outra.pk]} END END",
                "attendant": f"CASE WHEN p.routing = 'attendant' THEN "
                f"(ARRAY{[a.pk for a in people]})[1 + mod(p.i, 30)] END",
                "attendant_email": "CASE WHEN p.routing = 'attendant' THEN "
                "'atendente' || mod(p.i, 30) || '@example.com' ELSE '' END",
                "audience_size": "p.size",
                "status": "p.status",
                "scheduled_at": "CASE WHEN p.status = 'scheduled' THEN now() + mod(p.i, 240) "
                "* interval '1 hour' WHEN mod(p.i, 4) = 0 THEN p.created + interval '2 hours' END",
                "dispatched_at": "CASE WHEN p.status IN ('sent', 'sent_with_failures', 'sending') "
                "OR (p.status = 'canceled' AND mod(p.i, 2) = 0) "
                "THEN p.created + interval '5 minutes' END",
                "finished_at": "CASE WHEN p.status IN ('sent', 'sent_with_failures') "
                "THEN p.created + interval '40 minutes' END",
                "failure_reason": "CASE WHEN p.status = 'failed' THEN 'A planilha não pôde ser "
                "lida.' ELSE '' END",
                "created_by": f"(ARRAY{[u.pk for u in creators]})[1 + mod(p.i, 9)]",
                "created_at": "p.created",
            },
        )
        _sql(
            "ALTER TABLE bench_plan ADD COLUMN campaign_id bigint; "
            "UPDATE bench_plan p SET campaign_id = c.id FROM campaigns_campaign c "
            "WHERE c.created_at = p.created AND c.bot_id = p.bot_id"
        )
    print(f"  {args.campaigns:,} campaigns in {took[0]:.1f} s", flush=True)

    # Recipients: a window of the bot's contacts per campaign; the status of a finished send
    # (2 % failed, 3 % sent, 35 % delivered, 52 % read, 8 % replied), a sending one half way.
    status = (
        "CASE WHEN p.status IN ('scheduled', 'canceled') THEN 'pending' "
        "WHEN p.status = 'sending' AND mod(g, 10) >= 6 THEN 'pending' "
        "WHEN p.status = 'sending' AND mod(g, 10) = 5 THEN 'sending' "
        "WHEN mod(g, 100) < 2 THEN 'failed' WHEN mod(g, 100) < 5 THEN 'sent' "
        "WHEN mod(g, 100) < 40 THEN 'delivered' WHEN mod(g, 100) < 92 THEN 'read' "
        "ELSE 'replied' END"
    )
    sent = "c.dispatched_at + mod(g, 1800) * interval '1 second'"
    with timed() as took:
        insert_select(
            Recipient,
            "FROM bench_plan p JOIN campaigns_campaign c ON c.id = p.campaign_id "
            "CROSS JOIN LATERAL generate_series(1, p.size) AS g",
            {
                "campaign": "p.campaign_id",
                "contact": f"CASE WHEN p.bot_id = {loja.pk} "
                f"THEN {first_contact} + mod(p.i * 7 + g, {contacts}) "
                f"ELSE {first_other} + mod(p.i + g, 500) END",
                "parameters": """jsonb_build_object('body', jsonb_build_array('Pessoa ' || g))""",
                "status": f"({status})",
                "sent_at": f"CASE WHEN c.dispatched_at IS NULL OR mod(g, 100) < 2 THEN NULL "
                f"ELSE {sent} END",
                "delivered_at": f"CASE WHEN c.dispatched_at IS NOT NULL AND mod(g, 100) >= 5 "
                f"THEN {sent} + interval '3 seconds' END",
                "read_at": f"CASE WHEN c.dispatched_at IS NOT NULL AND mod(g, 100) >= 40 "
                f"THEN {sent} + interval '5 minutes' END",
                "replied_at": f"CASE WHEN c.dispatched_at IS NOT NULL AND mod(g, 100) >= 92 "
                f"THEN {sent} + mod(g, 7200) * interval '1 second' END",
                "failure_code": "CASE WHEN c.dispatched_at IS NOT NULL AND mod(g, 100) = 0 "
                "THEN 'gateway_permanent' WHEN c.dispatched_at IS NOT NULL AND mod(g, 100) = 1 "
                "THEN 'opted_out' ELSE '' END",
                "failure_reason": "CASE WHEN c.dispatched_at IS NOT NULL AND mod(g, 100) < 2 "
                "THEN 'recusada' ELSE '' END",
                "gateway_message_id": "CASE WHEN c.dispatched_at IS NOT NULL "
                "THEN 'g' || p.i || '-' || g ELSE '' END",
            },
        )
        # Pending recipients of canceled or sending campaigns have no status times.
        _sql(
            "UPDATE campaigns_recipient SET sent_at = NULL, delivered_at = NULL, read_at = NULL, "
            "replied_at = NULL, failure_code = '', failure_reason = '', gateway_message_id = '' "
            "WHERE status IN ('pending', 'sending')"
        )
    print(f"  {args.size:,} recipients in {took[0]:.1f} s", flush=True)
    _analyze()

    # The large campaign's directives (its replies' routing outcomes on the report).
    big = Campaign.objects.get(pk=_plan_campaign(0))
    if big.routing == "team":
        insert_select(
            ReplyDirective,
            "FROM campaigns_recipient r WHERE r.campaign_id = %s AND r.sent_at IS NOT NULL",
            {
                "contact": "r.contact_id",
                "bot": str(loja.pk),
                "team": str(big.team_id),
                "source_label": f"'{big.name}'",
                "source_id": str(big.pk),
                "sent_at": "r.sent_at",
                "valid_until": "r.sent_at + interval '24 hours'",
                "superseded": "(mod(r.id, 100) = 3)",
            },
            [big.pk],
        )

    # The Desk: closed history, customers waiting in the teams' queues, open conversations.
    closed, waiting, open_ = args.closed_tickets, 200, 150
    total = closed + waiting + open_
    attendant_ids = [a.pk for a in people]
    online = [a.pk for a in people if a.status == "online"] or attendant_ids
    team_ids = [t.pk for t in teams]
    insert_select(
        Ticket,
        "FROM generate_series(1, %s) AS g",
        {
            "bot": str(loja.pk),
            "sequence": "g",
            "contact": f"{first_contact} + mod(g - 1, {contacts})",
            "team": f"(ARRAY{team_ids})[1 + mod(g, 4)]",
            # The newest tickets are the active ones: open (8 of them Ana's), then waiting.
            "status": f"CASE WHEN g > {closed + waiting} THEN 'open' "
            f"WHEN g > {closed} THEN 'waiting' ELSE 'closed_attendant' END",
            "attendant": f"CASE WHEN g > {closed + waiting} + 8 "
            f"THEN (ARRAY{online})[1 + mod(g, {len(online)})] "
            f"WHEN g > {closed + waiting} THEN {ana.pk} "
            f"WHEN g > {closed} THEN NULL ELSE (ARRAY{attendant_ids})[1 + mod(g, 30)] END",
            "requested_attendant": f"CASE WHEN g > {closed} AND g <= {closed + waiting} "
            f"AND mod(g, 10) = 0 THEN {ana.pk} END",
            "routed_by": "'rule'",
            "routing_reason": "'Regra: cidade'",
            "routing_code": "'rule'",
            "created_at": f"now() - ({total} - g) * interval '2 minutes'",
            "opened_at": f"CASE WHEN g <= {closed} OR g > {closed + waiting} "
            f"THEN now() - ({total} - g) * interval '2 minutes' + interval '1 minute' END",
            "closed_at": f"CASE WHEN g <= {closed} THEN now() - ({total} - g) "
            f"* interval '2 minutes' + interval '20 minutes' END",
            "awaiting_reply_since": f"CASE WHEN g > {closed + waiting} AND mod(g, 2) = 0 "
            f"THEN now() - mod(g, 15) * interval '1 minute' END",
        },
        [total],
    )
    TicketSequence.objects.update_or_create(bot=loja, defaults={"last": total})
    # A conversation per ticket: 2 messages for a closed one, 12 for an active one.
    insert_select(
        Message,
        "FROM desk_ticket k CROSS JOIN LATERAL generate_series(1, "
        "CASE WHEN k.status = 'closed_attendant' THEN 2 ELSE 12 END) AS n "
        "WHERE k.bot_id = %s",
        {
            "bot": str(loja.pk),
            "contact": "k.contact_id",
            "direction": "CASE WHEN mod(n, 2) = 1 THEN 'in' ELSE 'out' END",
            "text": "CASE WHEN mod(n, 2) = 1 THEN 'Oi, quero saber do meu pedido ' || n "
            "ELSE 'Claro! Vou verificar para você.' END",
            "status": "CASE WHEN mod(n, 2) = 1 THEN 'received' ELSE 'read' END",
            "gateway_message_id": "'m' || k.id || '-' || n",
            "created_at": "k.created_at + n * interval '30 seconds'",
        },
        [loja.pk],
    )
    insert_select(
        TicketMessage,
        "FROM desk_ticket k JOIN bots_message m ON m.contact_id = k.contact_id WHERE k.bot_id = %s",
        {
            "ticket": "k.id",
            "message": "m.id",
            "attendant": "CASE WHEN m.direction = 'out' THEN k.attendant_id END",
        },
        [loja.pk],
    )
    _analyze()

    # The results the list and the report read, as the periodic roll-up leaves them: the real
    # roll-up for the measured campaign, the counters of every other one in one statement.
    from campaigns.reporting.rollup import campaign_results_refresh

    with timed() as took:
        campaign_results_refresh(campaign=big)
    print(f"  roll-up of the large campaign ({big.audience_size:,}) in {took[0]:.1f} s")
    insert_select(
        CampaignResults,
        "FROM campaigns_recipient r JOIN campaigns_campaign c ON c.id = r.campaign_id "
        "WHERE c.dispatched_at IS NOT NULL AND c.id <> %s GROUP BY r.campaign_id",
        {
            "campaign": "r.campaign_id",
            "total": "count(*)",
            "pending": "count(*) FILTER (WHERE r.status IN ('pending', 'sending'))",
            "sent": "count(*) FILTER (WHERE r.status IN ('sent','delivered','read','replied'))",
            "delivered": "count(*) FILTER (WHERE r.status IN ('delivered','read','replied'))",
            "read": "count(*) FILTER (WHERE r.status IN ('read','replied'))",
            "replied": "count(*) FILTER (WHERE r.status = 'replied')",
            "failed": "count(*) FILTER (WHERE r.status = 'failed')",
            "refreshed_at": "now()",
        },
        [big.pk],
    )
    _analyze()
    ticket = Ticket.objects.filter(attendant=ana, status="open").order_by("pk").first()
    return {
        "operator": operator,
        "attendant": ana.user,
        "supervisor": boss,
        "campaign": big,
        "ticket": ticket,
        "bot": loja,
    }


def _plan_campaign(i: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT campaign_id FROM bench_plan WHERE i = %s", [i])
        return cursor.fetchone()[0]


# --- the server and the load ------------------------------------------------------------------


def free_port() -> int:
    for port in range(8700, 8800):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                continue  # someone listens there
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise SystemExit("no free port in 8700-8799")


def web_command(env: dict) -> list[str]:
    """The Procfile's ``web`` line, its ``${VAR:-default}`` filled from ``env``."""
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    line = re.sub(
        r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1), m.group(2)), line[len("web:") :]
    )
    words = shlex.split(line)
    words[0] = str(Path(sys.executable).parent / words[0])
    return words


def static_manifest_fresh() -> bool:
    """Whether collectstatic's manifest is newer than every static file it would collect."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list([]):
            if Path(storage.path(path)).stat().st_mtime > built:
                return False
    return True


def start_server(database_url: str, port: int, workers: int, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="blipportal.settings",
        READYZ_REQUIRE_SCHEDULER="0",
        WEB_CONCURRENCY=str(workers),
        WEB_PORT=str(port),
        BIND_HOST="127.0.0.1",
    )
    env.pop("CELERY_BROKER_URL", None)
    if not static_manifest_fresh():
        # As `make prod-local` does: the production static storage needs its manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    command = web_command(env)
    print(f"server: {' '.join(command[1:])}", flush=True)
    server = subprocess.Popen(  # noqa: S603 - the project's own Procfile line
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=10)


def session_cookies(user, n: int) -> list[str]:
    """Log the user in ``n`` times (sessions in the database, as the login form leaves them):
    the ``n`` people at their screens."""
    from django.conf import settings
    from django.test import Client

    cookies = []
    for _ in range(n):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={cookie}")
    return cookies


def check_page(base: str, path: str, cookie: str) -> None:
    """The page answers 200 to this user (not a redirect to the login, not a 404)."""
    import httpx

    headers = {"X-Forwarded-Proto": "https", "Cookie": cookie}
    response = httpx.get(base + path, headers=headers, timeout=120, follow_redirects=False)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}, not 200")


def load(
    base: str, path: str, cookies: list[str], *, users: int, seconds: int, think_ms: int, script
):
    """``users`` users on one page for ``seconds``: its requests and raw latencies."""
    env = {**os.environ, "BENCH_COOKIES": " ".join(cookies), "BENCH_USERS": str(users)}
    env["BENCH_THINK_MS"] = str(think_ms)
    command = [WRK, f"-t{users}", f"-c{users}", f"-d{seconds}s", "--timeout", "30s"]
    done = subprocess.run(  # noqa: S603 - Debian's wrk, fixed arguments
        [*command, "-s", script, base + path], env=env, capture_output=True, text=True, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK-JSON ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed on {path}:\n{done.stdout}{done.stderr}")
    figures = json.loads(line[len("WRK-JSON ") :])
    # A user who thinks longer than gunicorn's keep-alive (2 s) finds the connection closed and
    # opens another (a read error for wrk, not a failed page); a timeout is a failure.
    if figures["bad"] or figures["timeouts"]:
        raise SystemExit(
            f"{path}: {figures['bad']} answers were not 200 ({figures['statuses']}), "
            f"{figures['timeouts']} requests timed out"
        )
    return figures


class Latencies:
    """A page's latencies over every round (wrk's raw values, microseconds, with counts)."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.requests, self.seconds = 0, 0.0

    def add(self, figures: dict) -> None:
        for value, count in figures["latencies_us"]:
            self.counts[value] = self.counts.get(value, 0) + count
        self.requests += figures["requests"]
        self.seconds += figures["seconds"]

    def percentile(self, p: float) -> float:
        """In milliseconds: the smallest latency with ``p`` % of the requests at or below it;
        infinite when no request finished (every one of them outlasted the run)."""
        total, seen = sum(self.counts.values()), 0
        if not total:
            return float("inf")
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen * 100 >= p * total:
                return value / 1000
        return float("inf")


# --- the queries each page runs ---------------------------------------------------------------


def query_counts(pages: list[tuple[str, str, object]]) -> dict[str, int]:
    """Each page once through Django's test client in this process: its SQL statements."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for label, path, user in pages:
        client = Client()
        client.force_login(user)
        client.get(path, secure=True)  # warm
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, secure=True)
        assert response.status_code == 200, (path, response.status_code)
        counts[label] = len(ctx.captured_queries)
    return counts


# --- the run ----------------------------------------------------------------------------------


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def measured_pages(data: dict) -> list[tuple[str, str, object]]:
    """(label, path, user) of every page the users open."""
    from django.urls import reverse

    campaign, ticket, bot = data["campaign"], data["ticket"], data["bot"]
    operator, attendant, boss = data["operator"], data["attendant"], data["supervisor"]
    return [
        ("campaign list", reverse("campaigns:list"), operator),
        ("campaign detail", reverse("campaigns:detail", args=[campaign.pk]), operator),
        ("campaign report", reverse("campaigns:report", args=[campaign.pk]), operator),
        ("wizard step 1", reverse("campaigns:new"), operator),
        ("Desk home", reverse("desk:home"), attendant),
        ("ticket", reverse("desk:ticket", args=[bot.slug, ticket.pk]), attendant),
        ("supervisor board", reverse("desk:supervisor"), boss),
    ]


def drive(base: str, plan: list[tuple[str, str, list]], args, script: Path) -> dict[str, Latencies]:
    """Every page in turn, ``args.rounds`` times (a busy moment of the shared machine falls on
    several pages and the baselines alike, not on one page's whole run)."""
    for _label, path, cookies in plan:
        for _ in range(3):  # it answers 200; both workers warm (connections, templates)
            check_page(base, path, cookies[0] if cookies else "")
    rows = {label: Latencies() for label, _path, _cookie in plan}
    per_run = max(1, round(args.seconds / args.rounds))
    for round_no in range(args.rounds):
        order = plan if round_no % 2 == 0 else list(reversed(plan))
        for label, path, cookies in order:
            figures = load(
                base,
                path,
                cookies,
                users=args.users,
                seconds=per_run,
                think_ms=args.think_ms,
                script=str(script),
            )
            rows[label].add(figures)
        print(f"  round {round_no + 1}/{args.rounds} done; {machine()}", flush=True)
    return rows


def report(rows: dict[str, Latencies], counts: dict[str, int]) -> tuple[str, float]:
    """Print the table; the worst page and its p95."""
    print(f"\n{'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7} {'queries':>8}")
    for label, latencies in rows.items():
        print(
            f"{label:<20} {latencies.percentile(50):>8.1f} {latencies.percentile(95):>8.1f} "
            f"{latencies.percentile(99):>8.1f} {latencies.requests / latencies.seconds:>7.1f} "
            f"{counts.get(label, '-'):>8}"
        )
    pages = {label: r for label, r in rows.items() if label in counts}
    worst = max(pages, key=lambda label: pages[label].percentile(95))
    return worst, pages[worst].percentile(95)


def main() -> None:
    parser = arguments(__doc__, size_flag="recipients", default=1_000_000, smoke=20_000)
    parser.add_argument("--campaigns", type=int, default=None, help="campaigns (10,000; smoke 300)")
    parser.add_argument("--closed-tickets", type=int, default=None, help="closed tickets (20,000)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (20)")
    parser.add_argument("--think-ms", type=int, default=1000, help="mean think time (1000)")
    parser.add_argument("--seconds", type=int, default=None, help="load per page (24; smoke 1)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds over the pages (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    args = parse(parser)
    args.campaigns = args.campaigns or (300 if args.smoke else 10_000)
    args.closed_tickets = args.closed_tickets or (500 if args.smoke else 20_000)
    args.seconds = args.seconds or (1 if args.smoke else 24)
    if args.smoke and args.think_ms == parser.get_default("think_ms"):
        args.think_ms = 100  # enough requests in a second to exercise every page
    args.rounds = args.rounds or (1 if args.smoke else 3)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/pages.py needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        sys.exit(2)
    if not Path(WRK).exists():
        print("bench/pages.py needs wrk: apt-get install wrk", file=sys.stderr)
        sys.exit(2)
    django_setup(DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1")
    from django.conf import settings
    from django.test.utils import setup_test_environment

    # This process builds the data and counts queries; the pages are served by gunicorn.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    setup_test_environment()
    print(f"machine: {machine()}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    script = workdir / "pages.lua"
    script.write_text(LUA)
    with throwaway_database("bench_pages") as name:
        print(
            f"building {args.campaigns:,} campaigns, {args.size:,} recipients, "
            f"{args.closed_tickets:,} closed tickets …",
            flush=True,
        )
        with timed() as took:
            data = build(args)
        print(f"built in {took[0]:.1f} s", flush=True)
        pages = measured_pages(data)
        counts = query_counts(pages)
        cookies = {user.pk: session_cookies(user, args.users) for _label, _path, user in pages}
        plan = [("baseline: /healthz", "/healthz", []), ("baseline: login page", "/login/", [])]
        plan += [(label, path, cookies[user.pk]) for label, path, user in pages]
        port = free_port()
        with (workdir / "gunicorn.log").open("w") as log:
            server = start_server(database_url(name), port, args.workers, log)
            print(
                f"load: {args.users} users (think time {args.think_ms} ms on average), "
                f"{args.rounds} rounds of {max(1, round(args.seconds / args.rounds))} s per page",
                flush=True,
            )
            try:
                rows = drive(f"http://127.0.0.1:{port}", plan, args, script)
            finally:
                stop_server(server)
    worst, p95 = report(rows, counts)
    print(f"\nmachine after the run: {machine()}")
    print(f"worst page: {worst}, p95 {p95:.1f} ms")
    result("pages_p95_ms", p95, f"{GOAL_P95_MS:.0f}", p95 <= GOAL_P95_MS, smoke=args.smoke)


if __name__ == "__main__":
    main()
