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
from desk.selectors import ticket_attendant_email
from tests.browser.conftest import DESKTOP, log_in

CUSTOMER = "+5511987654321"
GENEROUS_MS = 5000


def _ana_holds_a_ticket() -> Ticket:
    """Carla wrote to the router's human block and Ana (Online on vendas) received her (R21)."""
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    contact = contact_get_or_create(bot=router, phone=CUSTOMER)
    contact_move_to_block(contact=contact, bot=vendas, block=vendas.blocks.get(kind="human"))
    result = inbound_receive(bot=router, phone=CUSTOMER, text="Quero comprar o plano anual")
    # R21: placed at once by the message's after-commit task (eager here, as under make run).
    assert ticket_attendant_email(ticket_id=result.ticket_id) == "ana@example.com"
    return Ticket.objects.get(pk=result.ticket_id)


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

    # Both panes note when the customer's words appear in them.
    ana.evaluate(
        """() => { window.seen = {};
        for (const [pane, selector] of [['conversation', '#conversation'], ['list', '#ws-list']]) {
          const el = document.querySelector(selector);
          new MutationObserver(() => {
            if (el.innerText.includes('Aceita Pix?') && !window.seen[pane])
              window.seen[pane] = Date.now();
          }).observe(el, {childList: true, subtree: true});
        } }"""
    )
    response = _webhook(ana.base_url, "Aceita Pix?", "env-live-1")
    answered_at = time.time() * 1000
    assert response.json()["ticket"] == ticket.pk
    ana.wait_for_function("() => window.seen.conversation && window.seen.list", timeout=GENEROUS_MS)
    for pane in ("conversation", "list"):
        latency_ms = ana.evaluate(f"() => window.seen.{pane}") - answered_at
        print(f"webhook response → {pane} updated: {latency_ms:.0f} ms")
        assert latency_ms < GENEROUS_MS, (pane, latency_ms)
    assert [e["type"] for e in ana.evaluate("() => window.deskEvents")] == ["ticket.message"]
    row = ana.locator(f"[data-testid=my-ticket][data-ticket='{ticket.pk}']")
    assert row.get_by_test_id("unread").inner_text() == "2"  # both of Carla's, unanswered
    assert "Aceita Pix?" in row.get_by_test_id("preview").inner_text()
    assert ana.url.endswith(f"/tickets/{ticket.pk}/")  # never reloaded

    box = ana.get_by_test_id("reply-text")
    box.fill("Aceitamos Pix, sim!")
    box.press("Shift+Enter")
    box.type("Envio a chave agora.")
    box.press("Enter")
    ana.wait_for_load_state("networkidle")
    answer = ticket.contact.messages.get(direction="out", kind="text")
    assert answer.text == "Aceitamos Pix, sim!\nEnvio a chave agora."
    # Answered: the left pane no longer counts her as waiting for Ana.
    assert row.get_by_test_id("unread").count() == 0

    # Bia's Desk, on another bot, heard nothing of all this over her open socket.
    assert bia.evaluate("() => document.documentElement.dataset.deskLive") == "socket"
    assert bia.evaluate("() => window.deskEvents") == []
    bia_context.close()


def test_the_delivery_of_ana_s_answer_shows_in_her_open_conversation_without_reload(
    asgi_page, demo
):
    from desk.services import ticket_reply

    ticket = _ana_holds_a_ticket()
    answer = ticket_reply(ticket=ticket, attendant=ticket.attendant, text="Temos o plano anual!")
    ana = asgi_page
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/demo-router/tickets/{ticket.pk}/")
    ana.locator("html[data-desk-live=socket]").wait_for()
    bubble = ana.locator("#conversation [data-direction=out]").last
    assert "Enviado" in bubble.inner_text()

    router = Bot.objects.get(slug="demo-router")
    for event, shown in (("received", "Entregue"), ("consumed", "Lido")):
        response = httpx.post(
            f"{ana.base_url}/webhooks/blip/demo-router/notifications",
            content=json.dumps({"id": answer.gateway_message_id, "event": event}),
            headers={"Authorization": f"Key {router.webhook_secret}"},
            timeout=10,
        )
        assert response.json() == {"status": "ok"}
        ana.wait_for_function(
            "(shown) => [...document.querySelectorAll('#conversation [data-direction=out]')]"
            ".pop().innerText.includes(shown)",
            arg=shown,
            timeout=GENEROUS_MS,
        )
    assert ana.url.endswith(f"/tickets/{ticket.pk}/")  # never reloaded


NOTIFICATIONS_RECORDED = """
window.notes = [];
window.Notification = class {
  static permission = "default";
  static requestPermission() {
    window.Notification.permission = "granted";
    return Promise.resolve("granted");
  }
  constructor(title, options) { window.notes.push([title, options.body]); }
};
"""


def _hide(page, hidden: bool) -> None:
    page.evaluate(
        """(hidden) => {
          Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});
          document.dispatchEvent(new Event('visibilitychange'));
        }""",
        hidden,
    )


def test_a_hidden_tab_notifies_and_counts_in_the_title(asgi_page, demo):
    ticket = _ana_holds_a_ticket()
    ana = asgi_page
    ana.add_init_script(NOTIFICATIONS_RECORDED)
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/")
    ana.locator("html[data-desk-live=socket]").wait_for()
    title = ana.title()
    assert not title.startswith(" |") and "Desk" in title
    ana.get_by_test_id("enable-notifications").click()  # asks the browser's permission
    ana.get_by_test_id("enable-notifications").wait_for(state="hidden")

    _hide(ana, True)
    _webhook(ana.base_url, "Vocês entregam no sábado?", "env-attention-1")
    ana.wait_for_function("() => document.title.startsWith('(1) ')")
    assert ana.evaluate("() => window.notes") == [
        ["Carla Dias escreveu", "Vocês entregam no sábado?"]
    ]
    # Her list followed too, without a reload.
    row = ana.locator(f"[data-testid=my-ticket][data-ticket='{ticket.pk}']")
    row.get_by_test_id("preview").filter(has_text="sábado").wait_for()

    _hide(ana, False)
    assert ana.title() == title


def test_a_dropped_socket_polls_then_reconnects_and_catches_up(asgi_page, demo):
    ticket = _ana_holds_a_ticket()
    ana = asgi_page
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/demo-router/tickets/{ticket.pk}/")
    ana.locator("html[data-desk-live=socket]").wait_for()
    fetched = []
    ana.on("request", lambda request: fetched.append(request.url))

    # A network blip: the socket drops. The page polls meanwhile and retries with a backoff.
    ana.evaluate("() => window.deskLive.socket.close()")  # closing is asynchronous: wait for it
    ana.locator("html[data-desk-live=polling]").wait_for(timeout=5_000)
    ana.wait_for_function("() => window.deskLive.reconnects === 1", timeout=10_000)
    ana.locator("html[data-desk-live=socket]").wait_for()
    # Back on the socket it refreshes what it may have missed, then stops polling.
    ana.wait_for_timeout(500)  # the catch-up fetches leave 120 ms after the welcome
    assert any("/desk/queue/" in url for url in fetched)
    assert any(url.endswith(f"/tickets/{ticket.pk}/messages/") for url in fetched)
    settled = len(fetched)
    ana.wait_for_timeout(3500)  # longer than the conversation's polling interval
    assert len(fetched) == settled
