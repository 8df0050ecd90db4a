"""The whole promise, in the browser, on the demo data: an operator sends an active message
routed to Ana, the contact replies in the simulator, Ana receives the customer and answers, and
the answer reaches the contact (R2, R10, R11, R13, R21)."""

import datetime as dt

from bots.models import Message
from campaigns.models import Campaign, Recipient
from desk.models import ReplyDirective, Ticket
from tests.browser.conftest import DESKTOP, screenshot
from tests.browser.test_wizard import individual_to_attendant, start

PHONE = "+5511977771234"  # what "(11) 97777-1234" in the wizard becomes


def test_whole_story_from_the_wizard_to_the_attendants_answer(page, browser, demo, login):
    # 1. The operator sends an individual campaign routed to ana@example.com, now.
    start(page, login, "operador", "demo")
    individual_to_attendant(page, "ana@example.com")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    campaign = Campaign.objects.get()
    recipient = Recipient.objects.get(campaign=campaign)
    assert (campaign.status, recipient.status) == ("sent", "sent")
    directive = ReplyDirective.objects.get(contact=recipient.contact, superseded=False)
    assert directive.attendant.email == "ana@example.com"
    assert directive.sent_at == recipient.sent_at  # R11: valid 24 h from the send
    assert directive.valid_until - directive.sent_at == dt.timedelta(hours=24)

    # 2. The contact sees the active message in the simulator and replies.
    page.goto(f"{page.base_url}/desk/simulator/?bot=demo-router&phone=%2B5511977771234")
    log = page.get_by_test_id("sim-log")
    assert log.locator("[data-kind=template]").count() == 1
    assert "Fulana" in log.inner_text()  # the rendered template variable
    page.get_by_test_id("sim-text").fill("Oi! Ainda quero o pedido A-123.")
    page.get_by_test_id("sim-send").click()
    page.wait_for_load_state("networkidle")
    ticket = Ticket.objects.get(contact__phone=PHONE)
    assert ticket.routed_by == "directive" and ticket.status == "open"
    assert ticket.requested_attendant.email == "ana@example.com"  # R13, whatever the rules say
    assert ticket.attendant.email == "ana@example.com"  # Online: she received it at once (R21)
    recipient.refresh_from_db()
    assert recipient.status == "replied"

    # 3. Ana logs in, finds the customer among her open tickets, reads the history and answers.
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    ana = context.new_page()
    ana.set_default_timeout(15_000)
    ana.goto(f"{page.base_url}/login/")
    ana.fill("#id_username", "ana@example.com")
    ana.fill("#id_password", "demo")
    ana.click("input[type=submit], button[type=submit]")
    ana.goto(f"{page.base_url}/desk/")
    ana.locator(f"[data-testid=my-ticket][data-ticket='{ticket.pk}'] a").click()
    ana.wait_for_url(f"**/tickets/{ticket.pk}/")
    conversation = ana.get_by_test_id("conversation")
    assert conversation.locator("[data-kind=template]").count() == 1
    assert "A-123" in conversation.inner_text()
    ana.get_by_test_id("reply-text").fill("Oi, Fulana! Separei o pedido A-123 para você.")
    ana.get_by_test_id("reply-send").click()
    ana.wait_for_load_state("networkidle")
    screenshot(ana, "story-ana-answered")

    # 4. The answer reaches the contact: the simulator shows it without a reload.
    log.locator("[data-direction=out][data-kind=text]").wait_for()
    assert "Separei o pedido" in log.inner_text()
    assert (
        Message.objects.filter(contact__phone=PHONE, direction="out", kind="text").get().status
        == "sent"
    )
    screenshot(page, "story-simulator")
    context.close()
