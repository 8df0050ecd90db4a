"""R26 as an operator meets it: step 4 says what fits, the campaign who waits and until when."""

import datetime as dt

from django.utils import timezone

from bots.models import Bot, Contact
from campaigns.models import Campaign, Recipient
from tests.browser.test_wizard import next_step, shoot, start

CSV = (
    "telefone;nome;cidade;foto\n"
    "+55 11 91234-5678;Carla;BH;https://img.example.com/bh.jpg\n"
    "(21) 99887-7665;Diego;Rio;https://img.example.com/rio.jpg\n"
    "0055 31 98888-7777;Eva;BH;https://img.example.com/bh.jpg\n"
)


def nearly_full_window() -> dt.datetime:
    """Demo Router at the 250 tier with 249 contacts messaged 20 hours ago: one slot left."""
    router = Bot.objects.get(slug="demo-router")
    router.messaging_tier = Bot.MessagingTier.TIER_250
    router.quality_rating = Bot.QualityRating.YELLOW
    router.save()
    messaged = timezone.now() - dt.timedelta(hours=20)
    Contact.objects.bulk_create(
        Contact(bot=router, phone=f"+55117{i:08d}", last_active_message_at=messaged)
        for i in range(249)
    )
    return messaged


def test_R26_step_4_shows_what_fits_and_the_overflow_waits_deferred(page, demo, login, tmp_path):
    messaged = nearly_full_window()
    csv_file = tmp_path / "clientes.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    start(page, login)
    page.fill("#id_audience-name", "Ofertas de março")
    page.check("input[name='audience-kind'][value='bulk']")
    page.set_input_files("#id_audience-audience_file", str(csv_file))
    next_step(page, "content")
    page.select_option("#id_content-template", label="oferta_cidade (pt_BR)")
    page.select_option("#id_content-var_1", "nome")
    page.select_option("#id_content-var_2", "cidade")
    page.select_option("#id_content-header_column", "foto")
    next_step(page, "routing")
    page.check("input[name='routing-routing'][value='flow']")
    page.select_option("#id_routing-routing_bot", label="Demo Router › Vendas")
    page.select_option("#id_routing-flow_block", label="Ofertas")
    next_step(page, "send")
    budget = page.locator("#messaging-budget")
    assert (budget.get_attribute("data-fit"), budget.get_attribute("data-waiting")) == ("1", "2")
    assert page.is_visible("#budget-waiting") and page.is_visible("#budget-quality")
    slot = timezone.localtime(messaged + dt.timedelta(hours=24)).strftime("%H:%M")
    assert slot in page.inner_text("#budget-waiting")
    shoot(page, "wizard-4-send-messaging-limit")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    campaign = Campaign.objects.get()
    counts = dict.fromkeys(Recipient.Status.values, 0)
    for status in campaign.recipients.values_list("status", flat=True):
        counts[status] += 1
    assert (counts["sent"], counts["pending"], counts["failed"]) == (1, 2, 0)
    assert campaign.status == Campaign.Status.SENDING
    deferred = page.get_by_test_id("progress-deferred")
    assert deferred.is_visible() and slot in deferred.inner_text()
    shoot(page, "campaign-detail-deferred")
    page.goto(f"{page.base_url}/campaigns/{campaign.pk}/report/?status=pending")
    assert page.get_by_test_id("deferred-until").count() == 2
    shoot(page, "campaign-report-deferred")


def test_R26_the_bot_admin_keeps_tier_and_quality(page, demo, login):
    nearly_full_window()
    router = Bot.objects.get(slug="demo-router")
    login("admin", "admin", f"/admin/bots/bot/{router.pk}/change/")
    assert page.locator("#id_messaging_tier").input_value() == "250"
    assert "249 de 250" in page.inner_text(".field-window_usage")
    page.select_option("#id_messaging_tier", "2000")
    page.select_option("#id_quality_rating", "green")
    shoot(page, "admin-bot-messaging-limit")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    router.refresh_from_db()
    assert (router.messaging_tier, router.quality_rating) == ("2000", "green")
