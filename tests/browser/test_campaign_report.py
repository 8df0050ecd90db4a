"""Issue 11 in Chromium: the report of a campaign with replies, its recipients, the conversation,
the CSV export; cancel and reschedule a scheduled campaign; duplicate one into the wizard."""

import csv
import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.utils import timezone

from bots.models import Bot, FlowBlock
from campaigns.audience_store import AudienceMember
from campaigns.dispatch import campaign_create
from campaigns.models import Campaign, MessageTemplate
from campaigns.reporting.rollup import campaign_results_refresh
from desk.inbound import inbound_receive
from desk.models import Attendant, Ticket
from desk.services import ticket_reply
from tests.browser.test_wizard import next_step, shoot, switch_bot

PHONES = ["+5511977771234", "+5511977775678", "+5511977779012"]


def to_ana(*, name="Boas-vindas Vendas", phone=PHONES[0], scheduled_at=None) -> Campaign:
    """An individual campaign of the demo router to Ana, sent by the outbox (eager Celery)."""
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    return campaign_create(
        bot=router,
        created_by=get_user_model().objects.get(username="operador"),
        name=name,
        kind=Campaign.Kind.INDIVIDUAL,
        template=MessageTemplate.objects.get(bot=router, name="boas_vindas"),
        parameters={},
        routing=Campaign.Routing.ATTENDANT,
        routing_bot=vendas,
        flow_block=FlowBlock.objects.get(bot=vendas, block_id="desk:atendimento-vendas"),
        attendant_email="ana@example.com",
        scheduled_at=scheduled_at,
        audience=[AudienceMember(phone=phone, name="Fulana de Tal")],
    )


def reply_and_answer(campaign: Campaign, phone: str) -> None:
    """The contact replies; Ana takes the ticket and answers."""
    result = inbound_receive(bot=campaign.bot, phone=phone, text="Quero saber mais, por favor")
    ana = Attendant.objects.get(bot__slug="vendas", email="ana@example.com")
    # Ana is Online: automatic distribution hands her the ticket at once (R21).
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert ticket.attendant == ana
    ticket_reply(ticket=ticket, attendant=ana, text="Oi! Sou a Ana, posso ajudar.")


def test_operator_reads_the_report_follows_a_reply_and_exports_csv(page, demo, login):
    campaign = to_ana()
    reply_and_answer(campaign, PHONES[0])
    campaign_results_refresh(campaign=campaign)
    login("operador", "demo", f"/campaigns/{campaign.pk}/")
    page.click("#open-report")
    page.wait_for_selector("#funnel-table")
    assert page.inner_text("#funnel-table tr[data-step=replied] td.num >> nth=0") == "1"
    assert page.inner_text("#funnel-table tr[data-step=human_answered] td.num >> nth=0") == "1"
    assert page.locator("#outcomes-table tr[data-outcome=attendant] td[data-value='1']").count()
    page.wait_for_function("document.querySelector('#chart-funnel').width > 0")
    shoot(page, "campaign-report")

    page.select_option("#id_replied", "yes")
    with page.expect_navigation():
        page.click("#apply-recipient-filters")
    assert page.locator("#recipients-table tbody tr[data-status=replied]").count() == 1
    with page.expect_navigation():
        page.click("#recipients-table .conversation-link")
    page.wait_for_selector("#conversation")
    assert "Quero saber mais, por favor" in page.inner_text("#conversation")
    assert "Sou a Ana" in page.inner_text("#conversation")
    assert page.get_attribute("#recipient-outcome", "data-outcome") == "attendant"
    shoot(page, "campaign-report-conversation")

    page.go_back()
    page.wait_for_selector("#recipients-table")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Telefone" and len(rows) == 2
    assert rows[1][0] == "'" + PHONES[0]  # a leading + would be a formula in a spreadsheet


def test_operator_reschedules_then_cancels_a_scheduled_campaign(page, demo, login):
    campaign = to_ana(name="Agendada", scheduled_at=timezone.now() + dt.timedelta(days=1))
    assert campaign.status == Campaign.Status.SCHEDULED
    login("operador", "demo", f"/campaigns/{campaign.pk}/")
    page.click("#reschedule-campaign")
    page.wait_for_selector("#reschedule-form")
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    page.fill("#id_date", day)
    page.fill("#id_time", "10:15")
    shoot(page, "campaign-reschedule")
    with page.expect_navigation():
        page.click("#confirm-reschedule")
    campaign.refresh_from_db()
    assert timezone.localtime(campaign.scheduled_at).strftime("%Y-%m-%d %H:%M") == f"{day} 10:15"
    assert page.locator(".messagelist .success").count() == 1

    page.click("#cancel-scheduled")
    page.wait_for_selector("#cancel-confirm")
    shoot(page, "campaign-cancel-confirm")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED  # the confirmation page changed nothing
    with page.expect_navigation():
        page.click("#confirm-cancel")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELED
    assert page.get_attribute("[data-testid=campaign-status]", "data-status") == "canceled"


def test_operator_duplicates_a_campaign_into_a_prefilled_wizard(page, demo, login):
    original = to_ana(name="Original")
    login("operador", "demo", f"/campaigns/{original.pk}/")
    page.click("#duplicate-campaign")
    page.wait_for_selector("#wizard-form[data-step=audience]")
    assert page.input_value("#id_audience-phone") == PHONES[0]
    assert "Original" in page.input_value("#id_audience-name")
    page.fill("#id_audience-phone", PHONES[1])
    next_step(page, "content")
    assert (
        page.locator("#id_content-template option:checked").inner_text().startswith("boas_vindas")
    )
    next_step(page, "routing")
    assert page.is_checked("input[name='routing-routing'][value='attendant']")
    assert page.input_value("#id_routing-attendant_email") == "ana@example.com"
    next_step(page, "send")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    copy = Campaign.objects.exclude(pk=original.pk).get()
    assert (copy.template_id, copy.routing, copy.attendant_email, copy.flow_block_id) == (
        original.template_id,
        original.routing,
        original.attendant_email,
        original.flow_block_id,
    )
    assert copy.recipients.get().contact.phone == PHONES[1]


def test_campaign_list_with_rates_filters_and_warnings(page, demo, login):
    sent = to_ana(name="Boas-vindas Vendas")
    reply_and_answer(sent, PHONES[0])
    campaign_results_refresh(campaign=sent)
    other = to_ana(name="Retomada de carrinho", phone=PHONES[2])
    campaign_results_refresh(campaign=other)
    late = to_ana(
        name="Aviso atrasado", phone=PHONES[1], scheduled_at=timezone.now() + dt.timedelta(hours=1)
    )
    Campaign.objects.filter(pk=late.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(minutes=20)
    )
    login("operador", "demo", "/campaigns/")
    switch_bot(page, "Demo Router")
    assert page.locator("[data-testid=scheduler-warning]").is_visible()  # no scheduler ran
    row = page.locator(f"#campaign-list tr[data-campaign='{sent.pk}']")
    assert row.locator("td[data-col=reply-rate]").inner_text() == "100,0%"
    assert page.locator(f"tr[data-campaign='{late.pk}'] [data-testid=overdue]").is_visible()
    shoot(page, "campaign-list")
    page.fill("#id_q", "retomada")
    with page.expect_navigation():
        page.click("#apply-filters")
    assert page.locator("#campaign-list tbody tr").count() == 1
