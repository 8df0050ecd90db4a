"""Campaign report: the report page and the CSV export of a campaign with a million recipients.

    python bench/report.py [--recipients 1000000] [--requests 30] [--smoke]

Builds one finished bulk campaign routed to a Desk team on PostgreSQL, with INSERT … SELECT
over generate_series: recipients in every state (2 % failed, 8 % replied…), a directive per send
(1 % replaced, the rest expired), a ticket for half of the replies and a human answer for half of
those. Then, in the same run:

- project: ``GET /campaigns/<id>/report/`` repeated (figures from the roll-up, the recipients
  table paged on its index), server time p95; the roll-up itself, timed once; the CSV export
  streamed through the view, rows/s and the process's peak resident memory;
- baseline: the same figures computed on each request (what the page would cost without the
  roll-up), and ``COPY (SELECT …) TO STDOUT`` of the same columns for the export.

Goal: page p95 ≤ 300 ms and export peak memory < 200 MB. PostgreSQL only (DATABASE_URL): a
throwaway ``<name>_report_bench`` database is created and dropped.
"""

from __future__ import annotations

import os
import statistics
import sys

from _harness import (
    arguments,
    django_setup,
    machine,
    parse,
    peak_rss_mb,
    result,
    throwaway_database,
    timed,
)

GOAL_P95_MS = 300.0
GOAL_RSS_MB = 200.0


def analyze(*tables: str) -> None:
    """Fresh statistics after a bulk insert, so the next INSERT … SELECT joins sensibly."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def build(n: int):
    """The campaign, its recipients, directives, tickets and answers; returns the campaign."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from bots.models import Bot, BotMembership, Contact, Message
    from campaigns.models import Campaign, MessageTemplate, Recipient
    from desk.models import Attendant, ReplyDirective, Team, Ticket, TicketMessage
    from tests.pgbulk import insert_select

    bot = Bot.objects.create(slug="bench", name="Bench", whatsapp_number="+5511999990000")
    team = Team.objects.get_or_create(bot=bot, name="Vendas")[0]
    ana = Attendant.objects.create(bot=bot, email="ana@example.com", name="Ana")
    template = MessageTemplate.objects.create(
        bot=bot, name="oferta", category="marketing", status="approved", body="Oi {{1}}"
    )
    user = get_user_model().objects.create_user("operador", password="x", is_staff=True)  # noqa: S106
    BotMembership.objects.create(user=user, bot=bot, role=BotMembership.Role.OPERATOR)
    dispatched = timezone.now() - timezone.timedelta(days=2)
    campaign = Campaign.objects.create(
        bot=bot,
        name="Black Friday",
        kind="bulk",
        template=template,
        parameters={"body": ["nome"]},
        routing="team",
        routing_bot=bot,
        team=team,
        status="sent",
        audience_size=n,
        dispatched_at=dispatched,
        finished_at=dispatched + timezone.timedelta(hours=1),
        created_by=user,
    )
    c, b, t = str(campaign.pk), str(bot.pk), str(team.pk)
    start = f"'{dispatched.isoformat()}'::timestamptz"
    insert_select(
        Contact,
        "FROM generate_series(1, %s) AS g",
        {"bot": b, "phone": "'+5511' || lpad(g::text, 9, '0')", "name": "'Pessoa ' || g"},
        [n],
    )
    analyze("bots_contact")
    # mod(g, 100): 0-1 failed, 2-4 sent, 5-39 delivered, 40-91 read, 92-99 replied.
    status = (
        "CASE WHEN mod(g, 100) < 2 THEN 'failed' WHEN mod(g, 100) < 5 THEN 'sent' "
        "WHEN mod(g, 100) < 40 THEN 'delivered' WHEN mod(g, 100) < 92 THEN 'read' "
        "ELSE 'replied' END"
    )
    sent_at = f"{start} + (mod(g, 3600)) * interval '1 second'"
    insert_select(
        Recipient,
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM bots_contact "
        "WHERE bot_id = %s) AS c",
        {
            "campaign": c,
            "contact": "c.id",
            "status": status,
            "sent_at": f"CASE WHEN mod(g, 100) < 2 THEN NULL ELSE {sent_at} END",
            "delivered_at": f"CASE WHEN mod(g, 100) >= 5 THEN {sent_at} END",
            "read_at": f"CASE WHEN mod(g, 100) >= 40 THEN {sent_at} END",
            "replied_at": f"CASE WHEN mod(g, 100) >= 92 THEN {sent_at} "
            "+ (mod(g, 7200)) * interval '1 second' END",
            "failure_code": "CASE WHEN mod(g, 100) = 0 THEN 'gateway_permanent' "
            "WHEN mod(g, 100) = 1 THEN 'opted_out' ELSE '' END",
            "failure_reason": "CASE WHEN mod(g, 100) < 2 THEN 'recusada' ELSE '' END",
        },
        [bot.pk],
    )
    analyze("campaigns_recipient")
    insert_select(
        ReplyDirective,
        "FROM campaigns_recipient r WHERE r.campaign_id = %s AND r.sent_at IS NOT NULL",
        {
            "contact": "r.contact_id",
            "bot": b,
            "team": t,
            "source_label": "'Black Friday'",
            "source_id": c,
            "sent_at": "r.sent_at",
            "valid_until": "r.sent_at + interval '24 hours'",
            "superseded": "(mod(r.id, 100) = 3)",
        },
        [campaign.pk],
    )
    analyze("desk_replydirective")
    # Half of the replies opened a ticket through their directive.
    insert_select(
        Ticket,
        "FROM (SELECT d.id, d.contact_id, r.replied_at, row_number() OVER (ORDER BY d.id) AS n "
        "FROM desk_replydirective d JOIN campaigns_recipient r "
        "ON r.contact_id = d.contact_id AND r.campaign_id = %s "
        "WHERE d.source_id = %s AND r.status = 'replied' AND mod(r.id, 2) = 0) AS x",
        {
            "bot": b,
            "sequence": "x.n",
            "contact": "x.contact_id",
            "team": t,
            "status": "'closed_attendant'",
            "attendant": str(ana.pk),
            "routed_by": "'directive'",
            "routing_reason": "'directive'",
            "routing_code": "'directive'",
            "directive": "x.id",
            "created_at": "x.replied_at",
        },
        [campaign.pk, campaign.pk],
    )
    analyze("desk_ticket")
    # A person answered half of those tickets, a few minutes after they opened.
    insert_select(
        Message,
        "FROM desk_ticket k WHERE k.bot_id = %s AND mod(k.sequence, 2) = 0",
        {
            "bot": b,
            "contact": "k.contact_id",
            "direction": "'out'",
            "text": "'Oi! Posso ajudar?'",
            "status": "'sent'",
            "gateway_message_id": "'t' || k.id",
            "created_at": "k.created_at + (mod(k.id, 900)) * interval '1 second'",
        },
        [bot.pk],
    )
    analyze("bots_message")
    insert_select(
        TicketMessage,
        "FROM desk_ticket k JOIN bots_message m ON m.gateway_message_id = 't' || k.id "
        "WHERE k.bot_id = %s",
        {"ticket": "k.id", "message": "m.id", "attendant": str(ana.pk)},
        [bot.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return campaign, user


def page_times(client, url: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        with timed() as took:
            response = client.get(url, secure=True)
        assert response.status_code == 200, response.status_code
        times.append(took[0] * 1000)
    return times


def p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )


def export_csv(client, url: str) -> tuple[int, float]:
    rows = 0
    with timed() as took:
        for chunk in client.get(url, secure=True).streaming_content:
            rows += chunk.count(b"\n")
    return rows - 1, took[0]


def copy_baseline(campaign) -> tuple[int, float]:
    from django.db import connection

    sql = (
        "COPY (SELECT c.phone, c.name, r.status, r.failure_code, r.failure_reason, r.sent_at, "
        "r.delivered_at, r.read_at, r.replied_at FROM campaigns_recipient r "
        "JOIN bots_contact c ON c.id = r.contact_id WHERE r.campaign_id = %s "
        "ORDER BY r.id) TO STDOUT WITH CSV"
    )
    rows = 0
    with (
        timed() as took,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql, [campaign.pk]) as copy,
    ):
        for data in copy:
            rows += bytes(data).count(b"\n")
    return rows, took[0]


def main() -> None:
    parser = arguments(__doc__, size_flag="recipients", default=1_000_000, smoke=5_000)
    parser.add_argument("--requests", type=int, default=None, help="page requests (30; smoke 10)")
    args = parse(parser)
    requests = args.requests or (10 if args.smoke else 30)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/report.py needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        sys.exit(2)
    django_setup(ALLOWED_HOSTS="*", DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from campaigns.reporting.figures import campaign_figures
    from campaigns.reporting.rollup import campaign_results_refresh

    setup_test_environment()
    from django.conf import settings

    # Production settings (DEBUG off, so no query log) without a collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    print(f"machine: {machine()}")
    with throwaway_database("report_bench"):
        with timed() as took:
            campaign, user = build(args.size)
        print(f"built {args.size:,} recipients with directives and tickets in {took[0]:.1f} s")
        with timed() as took:
            results = campaign_results_refresh(campaign=campaign)
        print(
            f"roll-up (every figure, once): {took[0] * 1000:.0f} ms; sent {results.sent:,}, "
            f"replied {results.replied:,}, tickets {results.tickets_opened:,}, "
            f"answered {results.human_answered:,}"
        )
        client = Client()
        client.force_login(user)
        url = reverse("campaigns:report", args=[campaign.pk])
        page_times(client, url, 2)  # warm the caches and the connection
        project = page_times(client, url, requests)
        baseline = []
        for _ in range(max(3, requests // 5)):
            with timed() as took:
                campaign_figures(campaign=campaign)
            baseline.append(took[0] * 1000)
        filtered = page_times(client, f"{url}?replied=yes&page=3", max(3, requests // 3))
        print(
            f"report page: p95 {p95(project):.0f} ms, median {statistics.median(project):.0f} ms "
            f"over {requests} requests; filtered to replied, page 3: p95 {p95(filtered):.0f} ms"
        )
        print(
            f"baseline (figures computed on every request): median "
            f"{statistics.median(baseline):.0f} ms just for the figures"
        )
        rows, seconds = export_csv(client, reverse("campaigns:export", args=[campaign.pk, "csv"]))
        assert rows == args.size, (rows, args.size)
        base_rows, base_seconds = copy_baseline(campaign)
        rss = peak_rss_mb()
        print(
            f"CSV export: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
            f"baseline COPY: {base_rows / base_seconds:,.0f} rows/s; peak RSS {rss:.0f} MB"
        )
    page_p95 = p95(project)
    passed = page_p95 <= GOAL_P95_MS and rss < GOAL_RSS_MB
    result(
        "report_page_p95_ms",
        page_p95,
        f"p95<={GOAL_P95_MS:.0f}ms,peak_rss<{GOAL_RSS_MB:.0f}MB",
        passed,
        smoke=args.smoke,
    )


if __name__ == "__main__":
    main()
