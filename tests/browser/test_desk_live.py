"""The Desk live in Chromium over the real ASGI stack: a webhook reply reaches Ana without reload.

The webhook goes to the same daphne server as the pages, as Blip's would in production; the time
from its response to the DOM update is asserted generously here (bench/desk_push.py measures it).
"""

import json
import time

import httpx
from django.contrib.auth import get_user_model

from bots.models import Bot, BotMembership
from bots.services import contact_get_or_create, contact_move_to_block
from desk.inbound import inbound_receive
from desk.models import Attendant, Ticket
from desk.services import ticket_attend_next
from tests.browser.conftest import DESKTOP, log_in

CUSTOMER = "+5511987654321"
GENEROUS_MS = 5000


def _ana_holds_a_ticket() -> Ticket:
    """Carla wrote to the router's human block and Ana (Online on vendas) took her."""
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    contact = contact_get_or_create(bot=router, phone=CUSTOMER)
    contact_move_to_block(contact=contact, bot=vendas, block=vendas.blocks.get(kind="human"))
    inbound_receive(bot=router, phone=CUSTOMER, text="Quero comprar o plano anual")
    ana = Attendant.objects.get(bot=vendas, email="ana@example.com")
    return ticket_attend_next(attendant=ana)


def _bia_on_loja() -> None:
    """An attendant of another bot (loja) who will keep her Desk open during the test."""
    user = get_user_model().objects.create_user("bia@example.com", password="demo")
    loja = Bot.objects.get(slug="loja")
    BotMembership.objects.create(user=user, bot=loja, role=BotMembership.Role.ATTENDANT)
    Attendant.objects.create(bot=loja, email="bia@example.com", user=user, status="online")


def _record_events(page) -> None:
    page.evaluate(
        """() => { window.deskEvents = [];
        document.addEventListener('desk:event', e => window.deskEvents.push(e.detail)); }"""
    )


def _webhook(base_url: str, text: str, envelope_id: str) -> httpx.Response:
    router = Bot.objects.get(slug="demo-router")
    envelope = {
        "id": envelope_id,
        "from": f"{CUSTOMER[1:]}@wa.gw.msging.net",
        "to": "demo-router@msging.net",
        "type": "text/plain",
        "content": text,
    }
    return httpx.post(
        f"{base_url}/webhooks/blip/demo-router/messages",
        content=json.dumps(envelope),
        headers={"Authorization": f"Key {router.webhook_secret}"},
        timeout=10,
    )


def test_a_webhook_reply_reaches_ana_live_and_she_answers_with_enter(asgi_page, browser, demo):
    ticket = _ana_holds_a_ticket()
    _bia_on_loja()
    ana = asgi_page
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/demo-router/tickets/{ticket.pk}/")
    ana.locator("html[data-desk-live=socket]").wait_for()
    _record_events(ana)

    bia_context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    bia = bia_context.new_page()
    bia.base_url = ana.base_url
    log_in(bia, "bia@example.com", "demo")
    bia.goto(f"{bia.base_url}/desk/")
    bia.locator("html[data-desk-live=socket]").wait_for()
    _record_events(bia)
    requests_before = []
    ana.on("request", lambda request: requests_before.append(request.url))

    # A page idle on its socket does not poll.
    ana.wait_for_timeout(1500)
    assert requests_before == []

    ana.evaluate(
        """() => { const c = document.querySelector('[data-testid=conversation]');
        new MutationObserver(() => { if (c.innerText.includes('Aceita Pix?') && !window.seenAt)
          window.seenAt = Date.now(); }).observe(c, {childList: true, subtree: true}); }"""
    )
    response = _webhook(ana.base_url, "Aceita Pix?", "env-live-1")
    answered_at = time.time() * 1000
    assert response.json()["ticket"] == ticket.pk
    ana.wait_for_function("() => window.seenAt !== undefined", timeout=GENEROUS_MS)
    latency_ms = ana.evaluate("() => window.seenAt") - answered_at
    print(f"webhook response → conversation updated: {latency_ms:.0f} ms")
    assert latency_ms < GENEROUS_MS, latency_ms
    assert [e["type"] for e in ana.evaluate("() => window.deskEvents")] == ["ticket.message"]

    box = ana.get_by_test_id("reply-text")
    box.fill("Aceitamos Pix, sim!")
    box.press("Shift+Enter")
    box.type("Envio a chave agora.")
    box.press("Enter")
    ana.wait_for_load_state("networkidle")
    answer = ticket.contact.messages.get(direction="out", kind="text")
    assert answer.text == "Aceitamos Pix, sim!\nEnvio a chave agora."

    # Bia's Desk, on another bot, heard nothing of all this over her open socket.
    assert bia.evaluate("() => document.documentElement.dataset.deskLive") == "socket"
    assert bia.evaluate("() => window.deskEvents") == []
    bia_context.close()
