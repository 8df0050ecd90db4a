"""The Desk in the browser: a campaign's directed reply reaches Ana, who answers the customer.

Ana is Online and the demo Desk distributes automatically (R21): the customer lands among her open
tickets without a click.
"""

import datetime as dt

from django.utils import timezone

from bots.models import Bot, FlowBlock, Message
from bots.services import contact_get_or_create, contact_move_to_block, message_record
from desk.models import Attendant, Ticket
from desk.services import directive_create
from tests.browser.conftest import DESKTOP, PHONE, log_in, screenshot

CUSTOMER = "+5511987654321"
TEMPLATE_TEXT = "Olá! Temos novidades para você. Responda esta mensagem para falar com a gente."


def _campaign_sent_to_ana():
    """What the sending engine leaves after an individual send routed to ana@example.com."""
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    human = FlowBlock.objects.get(bot=vendas, block_id="desk:atendimento-vendas")
    ana = Attendant.objects.get(bot=vendas, email="ana@example.com")
    contact = contact_get_or_create(bot=router, phone=CUSTOMER)
    sent_at = timezone.now() - dt.timedelta(minutes=5)
    directive_create(
        contact=contact,
        bot=vendas,
        sent_at=sent_at,
        source_label="Retomada Black Friday",
        source_id=1,
        attendant=ana,
        human_block=human,
    )
    message_record(
        bot=router,
        contact=contact,
        direction="out",
        kind="template",
        text=TEMPLATE_TEXT,
        status="sent",
        payload={
            "campaign_id": 1,
            "template_name": "boas_vindas",
            "buttons": [{"type": "quick_reply", "text": "Quero saber mais"}],
        },
    )
    contact_move_to_block(contact=contact, bot=vendas, block=human)
    return contact


def test_R21_reply_lands_in_anas_open_tickets_without_a_click(page, browser, demo, login):
    _campaign_sent_to_ana()
    # Ana, in her own browser, waits on her Desk: nobody yet.
    ana_context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    ana = ana_context.new_page()
    ana.set_default_timeout(15_000)
    ana.base_url = page.base_url
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/")
    # The WSGI live server has no WebSockets: the page falls back to polling.
    ana.locator("html[data-desk-live=polling]").wait_for()
    assert ana.get_by_test_id("my-ticket").count() == 0

    # The customer (played by the admin in the simulator) sees the active message and replies.
    login("admin", "admin")
    page.goto(f"{page.base_url}/desk/simulator/?bot=demo-router&phone={CUSTOMER}")
    sim_log = page.get_by_test_id("sim-log")
    assert sim_log.locator("[data-kind=template]").count() == 1
    assert "Quero saber mais" in sim_log.inner_text()
    page.get_by_test_id("sim-text").fill("Oi! Quero saber do desconto")
    page.get_by_test_id("sim-send").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".messagelist li.directive").count() == 1
    screenshot(page, "simulator_reply")

    ticket = Ticket.objects.get(contact__phone=CUSTOMER)
    assert (ticket.status, ticket.attendant.email) == ("open", "ana@example.com")

    # Ana's page was not reloaded and she clicked nothing: the customer is among her tickets.
    mine = ana.locator(f"[data-testid=my-ticket][data-ticket='{ticket.pk}']")
    mine.wait_for()
    assert ana.get_by_test_id("waiting-directed").locator("strong").inner_text() == "0"
    screenshot(ana, "desk_home_assigned")
    ana.set_viewport_size(PHONE)
    screenshot(ana, "desk_home_phone")
    ana.set_viewport_size(DESKTOP)
    mine.locator("a").click()
    ana.wait_for_url(f"**/desk/demo-router/tickets/{ticket.pk}/")
    conversation = ana.get_by_test_id("conversation")
    assert conversation.locator("[data-kind=template]").inner_text().count(TEMPLATE_TEXT[:20]) == 1
    assert "Quero saber do desconto" in conversation.inner_text()
    assert "Retomada Black Friday" in ana.get_by_test_id("routing-reason").inner_text()
    assert ana.get_by_test_id("ticket-status").get_attribute("data-status") == "open"
    screenshot(ana, "desk_ticket")

    ana.get_by_test_id("reply-text").fill("Olá, aqui é a Ana! O desconto é de 20%.")
    ana.get_by_test_id("reply-send").click()
    ana.wait_for_load_state("networkidle")
    answer = Message.objects.get(direction="out", kind="text", contact__phone=CUSTOMER)
    assert answer.status == "sent"

    # The simulator page, never reloaded, shows the answer on its own (polling).
    sim_log.locator("[data-direction=out][data-kind=text]").wait_for()
    assert "O desconto é de 20%" in sim_log.inner_text()
    screenshot(page, "simulator_answer")

    ana.set_viewport_size(PHONE)
    screenshot(ana, "desk_ticket_phone")
    ana_context.close()
