"""Screenshots of the Desk, in Portuguese at 1280 and 390 px (``make screenshots``).

A busy morning on the demo data: Ana holds two customers (one waiting for her answer), another is
directed to her, one waits in her team; the supervisor's board shows it all live.
"""

import datetime as dt

from django.utils import timezone

from bots.models import Bot, Message
from bots.services import contact_get_or_create, contact_move_to_block
from desk.inbound import inbound_receive
from desk.models import Attendant, DeskSettings, Ticket
from desk.services import directive_create, ticket_attend_next, ticket_reply
from tests.browser.conftest import DESKTOP, PHONE, log_in, screenshot


def _customer(phone: str, name: str, text: str, *, directed_to=None, minutes_ago=0) -> Ticket:
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    contact = contact_get_or_create(bot=router, phone=phone, name=name)
    if directed_to is not None:
        directive_create(
            contact=contact,
            bot=vendas,
            sent_at=timezone.now() - dt.timedelta(hours=1),
            source_label="Black Friday 2026",
            attendant=directed_to,
            human_block=vendas.blocks.get(kind="human"),
        )
    contact_move_to_block(contact=contact, bot=vendas, block=vendas.blocks.get(kind="human"))
    inbound_receive(bot=router, phone=phone, text=text)
    ticket = Ticket.objects.get(contact=contact, status__in=["waiting", "open"])
    Message.objects.filter(contact=contact).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return ticket


def _busy_morning() -> Ticket:
    ana = Attendant.objects.get(bot__slug="vendas", email="ana@example.com")
    # Ana pulls customers with the button this morning, so some wait: manual mode (R21).
    DeskSettings.objects.update_or_create(bot=ana.bot, defaults={"distribution": "manual"})
    _customer("+5511987654321", "Carla Dias", "Quero comprar o plano anual", minutes_ago=14)
    first = ticket_attend_next(attendant=ana)
    ticket_reply(ticket=first, attendant=ana, text="Olá, Carla! Posso ajudar com o plano anual.")
    _customer("+5531988887777", "Marcos Lima", "Oi, quero comprar na promoção", minutes_ago=6)
    second = ticket_attend_next(attendant=ana)
    inbound_receive(
        bot=Bot.objects.get(slug="demo-router"), phone="+5531988887777", text="Ainda vale?"
    )
    _customer("+5521998877665", "Diego Rocha", "Preciso de ajuda com meu pedido", directed_to=ana)
    _customer("+5541977776666", "", "Qual o preço do plano mensal?", minutes_ago=3)
    return second


def _both_sizes(page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    screenshot(page, name, full_page=False)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_screenshots_of_the_workspace_ticket_and_board(asgi_page, browser, demo):
    ticket = _busy_morning()
    ana = asgi_page
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/")
    ana.locator("html[data-desk-live=socket]").wait_for()
    assert ana.get_by_test_id("my-ticket").count() == 2
    assert ana.get_by_test_id("queued-ticket").count() == 2
    _both_sizes(ana, "desk-workspace")

    ana.goto(f"{ana.base_url}/desk/demo-router/tickets/{ticket.pk}/")
    ana.locator("html[data-desk-live=socket]").wait_for()
    _both_sizes(ana, "desk-ticket")
    ana.set_viewport_size(PHONE)
    ana.get_by_test_id("details-link").click()
    ana.get_by_test_id("contact-card").wait_for()
    screenshot(ana, "desk-ticket-details-390")

    boss_context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    boss = boss_context.new_page()
    boss.base_url = ana.base_url
    log_in(boss, "admin", "admin")
    boss.goto(f"{boss.base_url}/desk/supervisor/")
    boss.locator("html[data-desk-live=socket]").wait_for()
    _both_sizes(boss, "desk-supervisor")
    boss_context.close()
