"""A person walks the campaign wizard in headless Chromium (R2, R5, R6, R14, R16)."""

import datetime as dt

from django.utils import timezone

from campaigns.models import Campaign, Recipient
from tests.browser.conftest import DESKTOP, PHONE, screenshot

CSV = (
    "telefone;nome;cidade;foto\n"
    "+55 11 91234-5678;Carla;BH;https://img.example.com/bh.jpg\n"
    "(21) 99887-7665;Diego;Rio;https://img.example.com/rio.jpg\n"
    "0055 31 98888-7777;Eva;BH;https://img.example.com/bh.jpg\n"
    "abc;Ruim;SP;https://img.example.com/sp.jpg\n"
    "+5511912345678;Repetida;BH;https://img.example.com/bh.jpg\n"
)


def shoot(page, name):
    """Both widths of the current page, for a person to look at."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def switch_bot(page, label):
    if page.locator("#portal-bot option:checked").inner_text().strip() == label:
        return
    with page.expect_navigation():
        page.select_option("#portal-bot", label=label)


def start(page, login, user="admin", password="admin"):  # noqa: S107
    login(user, password, "/campaigns/")
    switch_bot(page, "Demo Router")
    page.click("[data-testid=send-active-messages]")
    page.wait_for_selector("#wizard-form[data-step=audience]")


def next_step(page, step):
    page.click("[data-testid=wizard-next]")
    page.wait_for_selector(f"#wizard-form[data-step={step}]")


def individual_to_attendant(page, email, *, shots=False):
    page.fill("#id_audience-name", "Retomada da Ana")
    page.check("input[name='audience-kind'][value='individual']")
    page.fill("#id_audience-phone", "(11) 97777-1234")
    page.fill("#id_audience-contact_name", "Fulana")
    if shots:
        shoot(page, "wizard-1-audience-individual")
    next_step(page, "content")
    page.select_option("#id_content-template", label="retomada_pedido (pt_BR)")
    page.fill("#id_content-var_1", "Fulana")
    page.fill("#id_content-var_2", "A-123")
    page.fill("#id_content-button_value", "A-123")
    assert "Fulana" in page.inner_text("#template-preview")
    assert not page.is_visible("#id_content-var_3")
    if shots:
        shoot(page, "wizard-2-content-individual")
    next_step(page, "routing")
    page.check("input[name='routing-routing'][value='attendant']")
    page.select_option("#id_routing-routing_bot", label="Demo Router › Vendas")
    page.select_option("#id_routing-human_block", label="Atendimento humano")
    page.fill("#id_routing-attendant_email", "bruno@example.com")
    assert page.is_visible("#r14-warning")  # R14: Bruno is Offline
    page.fill("#id_routing-attendant_email", email)
    if shots:
        shoot(page, "wizard-3-routing-attendant")
    next_step(page, "send")


def test_R2_individual_campaign_to_attendant_sent_now(page, demo, login):
    start(page, login)
    individual_to_attendant(page, "ana@example.com", shots=True)
    assert "ana@example.com" in page.inner_text("#summary-routing")
    assert page.locator("#r14-warning").count() == 0  # Ana is Online
    assert not page.is_visible("#id_send-date")  # only asked for when scheduling
    shoot(page, "wizard-4-send-now")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    campaign = Campaign.objects.get()
    assert page.url.endswith(f"/campaigns/{campaign.pk}/")
    # The outbox gateway and eager Celery send it before the detail page renders.
    assert campaign.status == Campaign.Status.SENT
    assert campaign.attendant.email == "ana@example.com"
    recipient = Recipient.objects.get()
    assert recipient.contact.phone == "+5511977771234"
    assert recipient.status == Recipient.Status.SENT
    assert page.get_by_test_id("progress-status").get_attribute("data-status") == "sent"
    shoot(page, "campaign-detail")


def test_R5_unknown_attendant_error_at_step_4_then_fixed_at_step_3(page, demo, login):
    start(page, login, "operador", "demo")
    individual_to_attendant(page, "ninguem@example.com")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#send-errors")
    assert page.locator("#send-errors [data-code=R5_attendant_not_in_team]").count() == 1
    assert not Campaign.objects.exists()
    shoot(page, "wizard-4-send-R5-error")
    page.click("[data-testid=fix-routing]")
    page.wait_for_selector("#wizard-form[data-step=routing]")
    assert page.input_value("#id_routing-attendant_email") == "ninguem@example.com"
    assert page.is_checked("input[name='routing-routing'][value='attendant']")
    page.fill("#id_routing-attendant_email", "Ana@Example.com")
    next_step(page, "send")
    assert "Retomada da Ana" in page.inner_text("#wizard-summary")  # step 1 kept
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    assert Campaign.objects.get().attendant.email == "ana@example.com"


def test_R16_bulk_campaign_from_csv_to_flow_block_scheduled(page, demo, login, tmp_path):
    csv_file = tmp_path / "clientes.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    start(page, login)
    page.fill("#id_audience-name", "Ofertas BH")
    page.check("input[name='audience-kind'][value='bulk']")
    page.set_input_files("#id_audience-audience_file", str(csv_file))
    next_step(page, "audience")  # the file has bad rows: the report, and a choice to make
    assert page.locator("#audience-errors tr[data-code]").count() == 2
    assert page.locator("[data-code=R16_bad_rows_not_skipped]").count() == 1
    shoot(page, "wizard-1-audience-bulk-errors")
    page.check("#id_audience-skip_bad_rows")
    next_step(page, "content")
    page.select_option("#id_content-template", label="oferta_cidade (pt_BR)")
    page.select_option("#id_content-var_1", "nome")
    page.select_option("#id_content-var_2", "cidade")
    page.select_option("#id_content-header_column", "foto")
    shoot(page, "wizard-2-content-bulk")
    next_step(page, "routing")
    assert page.is_disabled("input[name='routing-routing'][value='attendant']")  # R6
    page.check("input[name='routing-routing'][value='flow']")
    page.select_option("#id_routing-routing_bot", label="Demo Router › Vendas")
    page.select_option("#id_routing-flow_block", label="Ofertas")
    shoot(page, "wizard-3-routing-bulk-flow")
    next_step(page, "send")
    page.check("input[name='send-when'][value='schedule']")
    assert page.is_visible("#id_send-date")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.fill("#id_send-date", tomorrow.isoformat())
    page.fill("#id_send-time", "09:30")
    shoot(page, "wizard-4-send-scheduled")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert (campaign.audience_size, campaign.skipped_rows) == (3, 2)
    assert campaign.routing == Campaign.Routing.FLOW and campaign.flow_block.block_id == "ofertas"
    local = timezone.localtime(campaign.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (tomorrow, 9, 30)
    page.goto(f"{page.base_url}/campaigns/")
    assert page.locator(f"#campaign-list tr[data-campaign='{campaign.pk}']").count() == 1
    shoot(page, "campaign-list")


def test_the_send_button_says_schedule_when_scheduling(page, demo, login):
    start(page, login, "operador", "demo")
    individual_to_attendant(page, "ana@example.com")
    button = page.get_by_test_id("send-campaign")
    assert button.inner_text() == "Enviar campanha"
    page.check("input[name='send-when'][value='schedule']")
    assert button.inner_text() == "Agendar campanha"
    page.check("input[name='send-when'][value='now']")
    assert button.inner_text() == "Enviar campanha"
