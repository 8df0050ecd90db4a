"""The report page, its recipients table, the exports and a recipient's conversation."""

import csv
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from bots.models import BotMembership, Contact
from campaigns.models import Recipient
from campaigns.reporting import exports
from campaigns.reporting.outcomes import EXPIRED, TO_TEAM
from tests.bots.factories import BotFactory, BotMembershipFactory, MessageFactory, UserFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory
from tests.campaigns.test_report_figures import TeamStory
from tests.campaigns.test_views import member
from tests.pgbulk import insert_select
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(client):
    story = TeamStory()
    member(client, story.bot)
    return story


def report(campaign) -> str:
    return reverse("campaigns:report", args=[campaign.pk])


def rows(response) -> list[Recipient]:
    return list(response.context["recipients"])


def test_report_shows_every_figure(client, story):
    response = client.get(report(story.campaign))
    page = response.content.decode()
    assert response.context["results"].replied == 3
    funnel = {row["key"]: row["count"] for row in response.context["funnel"]}
    assert funnel["tickets_opened"] == 2 and funnel["human_answered"] == 1
    assert 'data-outcome="expired"' in page and 'data-code="opted_out"' in page
    assert 'id="chart-funnel"' in page and 'id="funnel-table"' in page
    assert "campaigns/vendor/chartjs/chart.umd.min.js" in page
    assert 'id="report-charts"' in page  # the charts' data, the same as the tables'


def test_report_of_a_campaign_that_never_went_out_says_so(client):
    bot = BotFactory()
    member(client, bot)
    campaign = CampaignFactory(bot=bot, scheduled=True)
    response = client.get(report(campaign))
    assert 'id="report-empty"' in response.content.decode()


def test_report_of_another_bots_campaign_is_not_found(client, story):
    other = CampaignFactory(bot=BotFactory())
    assert client.get(report(other)).status_code == 404
    url = reverse("campaigns:export", args=[other.pk, "csv"])
    assert client.get(url).status_code == 404


def test_attendants_cannot_open_reports(client, story):
    user = UserFactory()
    BotMembershipFactory(user=user, bot=story.bot, role=BotMembership.Role.ATTENDANT)
    client.force_login(user)
    assert client.get(report(story.campaign)).status_code == 404


def test_recipients_filtered_by_replied(client, story):
    response = client.get(report(story.campaign), {"replied": "yes"})
    assert {r.pk for r in rows(response)} == {
        story.answered.pk,
        story.unanswered.pk,
        story.elsewhere.pk,
    }
    no = client.get(report(story.campaign), {"replied": "no"})
    assert len(rows(no)) == 7


def test_recipients_filtered_by_status_failure_outcome_and_search(client, story):
    url = report(story.campaign)
    assert len(rows(client.get(url, {"status": "failed"}))) == 3
    assert [r.pk for r in rows(client.get(url, {"status": "pending"}))] == [story.pending.pk]
    assert [r.pk for r in rows(client.get(url, {"failure": "opted_out"}))] == [story.opted_out.pk]
    expired = rows(client.get(url, {"outcome": EXPIRED}))
    assert [r.pk for r in expired] == [story.expired.pk]
    team = rows(client.get(url, {"outcome": TO_TEAM}))
    assert {r.pk for r in team} == {story.answered.pk, story.unanswered.pk}
    Contact.objects.filter(pk=story.waiting.contact_id).update(
        name="Xênia Quixadá", phone="+5511987650001"
    )
    assert [r.pk for r in rows(client.get(url, {"q": "xênia quix"}))] == [story.waiting.pk]
    assert [r.pk for r in rows(client.get(url, {"q": "98765-0001"}))] == [story.waiting.pk]


def test_replied_recipients_link_to_their_ticket_and_conversation(client, story):
    page = client.get(report(story.campaign), {"replied": "yes"}).content.decode()
    link = reverse("campaigns:recipient_conversation", args=[story.campaign.pk, story.answered.pk])
    assert link in page
    assert f"#{story.answered_ticket.sequence}" in page


def test_recipients_page_costs_the_same_queries_whatever_the_rows(client, story):
    url = report(story.campaign)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"status": "failed"})
    for _ in range(20):
        RecipientFactory(campaign=story.campaign, failed=True)
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"status": "failed"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_conversation_shows_the_messages_since_the_send_and_the_ticket(client, story):
    MessageFactory(contact=story.answered.contact, text="Quero saber mais")
    url = reverse("campaigns:recipient_conversation", args=[story.campaign.pk, story.answered.pk])
    response = client.get(url)
    page = response.content.decode()
    assert "Quero saber mais" in page
    assert response.context["ticket"] == story.answered_ticket
    # An operator is no Desk supervisor: the ticket is described, not linked.
    assert 'id="open-in-desk"' not in page


def test_a_bot_admin_can_open_the_ticket_in_the_desk(client, story):
    member(client, story.bot, role=BotMembership.Role.ADMIN)
    url = reverse("campaigns:recipient_conversation", args=[story.campaign.pk, story.answered.pk])
    assert 'id="open-in-desk"' in client.get(url).content.decode()


def test_conversation_of_a_recipient_of_another_campaign_is_not_found(client, story):
    other = RecipientFactory(campaign=CampaignFactory(bot=story.bot))
    url = reverse("campaigns:recipient_conversation", args=[story.campaign.pk, other.pk])
    assert client.get(url).status_code == 404


# --- exports ---------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_csv_export_is_streamed_with_the_current_filters(client, story):
    url = reverse("campaigns:export", args=[story.campaign.pk, "csv"])
    response = client.get(url, {"replied": "yes"})
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    table = csv_rows(response)
    assert len(table) == 1 + 3
    assert table[0][0] == "Telefone"


def test_export_dates_are_brazilian_in_the_operators_time_zone(client, story):
    from django.utils import timezone

    url = reverse("campaigns:export", args=[story.campaign.pk, "csv"])
    table = csv_rows(client.get(url, {"outcome": EXPIRED}))
    sent = timezone.localtime(story.expired.sent_at)
    assert table[1][5] == sent.strftime("%d/%m/%Y %H:%M:%S")


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised_in_csv_and_xlsx(client, story, dangerous):
    Contact.objects.filter(pk=story.expired.contact_id).update(name=dangerous)
    url = reverse("campaigns:export", args=[story.campaign.pk, "csv"])
    table = csv_rows(client.get(url, {"outcome": EXPIRED}))
    assert table[1][1] == "'" + dangerous
    xlsx = client.get(
        reverse("campaigns:export", args=[story.campaign.pk, "xlsx"]), {"outcome": EXPIRED}
    )
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    cell = sheet.cell(row=2, column=2)
    # XML reads a lone CR back as LF: what matters is the quote in front and the text type.
    assert cell.value.replace("\n", "\r") == "'" + dangerous.replace("\n", "\r")
    assert cell.data_type == "s"


def test_xlsx_export_has_real_dates_and_every_recipient(client, story):
    url = reverse("campaigns:export", args=[story.campaign.pk, "xlsx"])
    sheet = load_workbook(io.BytesIO(b"".join(client.get(url).streaming_content))).active
    table = list(sheet.iter_rows(values_only=True))
    assert len(table) == 1 + 10
    dated = [row for row in table[1:] if row[5] is not None]
    assert dated and all(hasattr(row[5], "year") for row in dated)


def test_neutralise_leaves_ordinary_text_alone():
    assert exports.neutralise("Maria") == "Maria"
    assert exports.neutralise("") == ""
    assert exports.neutralise("a=b") == "a=b"


def _bulk_recipients(campaign, n: int) -> None:
    """``n`` failed recipients in two INSERT … SELECT (PostgreSQL)."""
    insert_select(
        Contact,
        "FROM generate_series(1, %s) AS g",
        {
            "bot": str(int(campaign.bot_id)),
            "phone": "'+5511' || lpad(g::text, 9, '0')",
            "name": "'Pessoa ' || g",
        },
        [n],
    )
    insert_select(
        Recipient,
        "FROM bots_contact c WHERE c.bot_id = %s",
        {
            "campaign": str(int(campaign.pk)),
            "contact": "c.id",
            "status": "'failed'",
            "failure_code": "'gateway_permanent'",
            "failure_reason": "'Número sem WhatsApp'",
        },
        [campaign.bot_id],
    )


def peak_rss_growth(work) -> int:
    """Bytes the process's resident set grew to (above where it was) while ``work`` ran.

    Linux resets the high-water mark (VmHWM) when 5 is written to clear_refs.
    """
    status = Path("/proc/self/status")
    clear = Path("/proc/self/clear_refs")
    if not status.exists() or not clear.exists():
        pytest.skip("needs Linux /proc to read the peak resident memory")

    def read(field: str) -> int:
        line = next(x for x in status.read_text().splitlines() if x.startswith(field))
        return int(line.split()[1]) * 1024

    clear.write_text("5")
    before = read("VmRSS:")
    work()
    return read("VmHWM:") - before


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_100k_rows_streams_with_bounded_memory(client, fmt):
    # PostgreSQL: the production path, where the rows come through a server-side cursor.
    require_postgres()
    bot = BotFactory()
    member(client, bot)
    campaign = CampaignFactory(bot=bot, bulk=True)
    _bulk_recipients(campaign, 100_000)
    url = reverse("campaigns:export", args=[campaign.pk, fmt])
    size = 0

    def export():
        nonlocal size
        for chunk in client.get(url).streaming_content:
            size += len(chunk)

    growth = peak_rss_growth(export)
    # 100,000 rows held as Python objects would take well over 100 MB; a stream stays flat.
    assert size > 100_000 * 20
    assert growth < 40 * 1024 * 1024, f"resident memory grew {growth / 1e6:.1f} MB"
