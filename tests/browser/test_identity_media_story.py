"""Issue 8's acceptance in the browser: a campaign routed to Ana; the contact answers with a photo
from the WhatsApp identity without the ninth digit; Ana's Desk shows the directed ticket and the
photo (R13, R18, media)."""

import json
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bots.models import Bot, Contact
from desk.models import DeskSettings, Ticket
from tests.browser.conftest import DESKTOP, PHONE, log_in, screenshot
from tests.browser.test_wizard import individual_to_attendant, start

OLD_NODE = "551177771234@wa.gw.msging.net/instance-1"  # (11) 97777-1234 without its ninth digit


def _png(width: int = 160, height: int = 120) -> bytes:
    """A small solid PNG, made here so the test needs no image library."""
    row = b"\x00" + bytes((0x2E, 0x8B, 0x57)) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def media_server():
    """Stands in for the channel's media storage: serves one photo over HTTP on a free port."""
    image = _png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_image_reply_from_the_old_identity_reaches_anas_directed_ticket(
    page, browser, demo, login, media_server
):
    # Ana pulls her customers with the button here: the vendas Desk in manual mode (R21).
    vendas = Bot.objects.get(slug="vendas")
    DeskSettings.objects.update_or_create(bot=vendas, defaults={"distribution": "manual"})
    # 1. The operator sends an individual campaign routed to ana@example.com.
    start(page, login, "operador", "demo")
    individual_to_attendant(page, "ana@example.com")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")

    # 2. Blip delivers the contact's photo from the eight-digit WhatsApp identity.

    router = Bot.objects.get(slug="demo-router")
    photo = f"{media_server}/media/comprovante.png"
    response = page.request.post(
        f"{page.base_url}/webhooks/blip/demo-router/messages",
        data=json.dumps(
            {
                "id": "wamid.photo-1",
                "from": OLD_NODE,
                "to": "demo-router@msging.net",
                "type": "application/vnd.lime.media-link+json",
                "content": {"type": "image/png", "uri": photo, "text": "Segue o comprovante"},
            }
        ),
        headers={
            "Authorization": f"Key {router.webhook_secret}",
            "Content-Type": "application/json",
        },
    )
    assert response.status == 200 and response.json()["target"] == "attendant"
    contact = Contact.objects.get(bot=router, phone="+5511977771234")
    assert not Contact.objects.filter(phone="+551177771234").exists()  # never a second one
    assert contact.whatsapp_identity == "551177771234@wa.gw.msging.net"
    ticket = Ticket.objects.get(contact=contact)
    assert (ticket.status, ticket.requested_attendant.email) == ("waiting", "ana@example.com")
    assert ticket.team.name == "Vendas"  # Ana's team, not Default

    # 3. Ana sees the customer directed to her, attends, and sees the photo.
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR")
    ana = context.new_page()
    ana.set_default_timeout(15_000)
    ana.base_url = page.base_url
    log_in(ana, "ana@example.com", "demo")
    ana.goto(f"{ana.base_url}/desk/")
    ana.get_by_test_id("waiting-directed").locator("strong", has_text="1").wait_for()
    ana.get_by_test_id("attend-next").click()
    ana.wait_for_url(f"**/tickets/{ticket.pk}/")
    conversation = ana.get_by_test_id("conversation")
    image = conversation.locator("[data-testid=media-image] img")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 160  # really loaded
    link = conversation.get_by_test_id("media-image")
    assert link.get_attribute("href") == photo
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert "Segue o comprovante" in conversation.inner_text()
    assert "Fulana" in conversation.locator("[data-kind=template]").inner_text()
    assert "Ana" in ana.get_by_test_id("ticket-directed-to").inner_text()
    assert ana.get_by_test_id("ticket-team").inner_text() == "Vendas"
    screenshot(ana, "desk-ticket-image-1280")
    ana.set_viewport_size(PHONE)
    screenshot(ana, "desk-ticket-image-390")
    context.close()


def test_every_kind_of_content_as_the_attendant_sees_it(page, demo, login, media_server):
    """Photo, voice note, video, document, location, contact card and a button press, in the
    ticket page and the simulator, at both widths."""
    from bots.models import Bot

    router = Bot.objects.get(slug="demo-router")
    node = "5511966665555@wa.gw.msging.net"
    contents = [
        ("text/plain", "Boa tarde! Vou mandar tudo por aqui."),
        ("application/vnd.lime.media-link+json",
         {"type": "image/png", "uri": f"{media_server}/a.png", "text": "Foto da nota"}),
        ("application/vnd.lime.media-link+json",
         {"type": "audio/ogg; codecs=opus", "uri": f"{media_server}/voz.ogg"}),
        ("application/vnd.lime.media-link+json",
         {"type": "video/mp4", "uri": f"{media_server}/video.mp4", "text": "O defeito"}),
        ("application/vnd.lime.media-link+json",
         {"type": "application/pdf", "uri": f"{media_server}/d/9", "title": "nota-fiscal.pdf",
          "size": 248_320}),
        ("application/vnd.lime.location+json",
         {"latitude": -23.561414, "longitude": -46.655881, "text": "Av. Paulista, 1578"}),
        ("application/json",
         {"contacts": [{"name": {"formatted_name": "Carla Dias"},
                        "phones": [{"phone": "+5521987654321"}]}]}),
        ("application/json", {"type": "button", "button": {"text": "Quero falar com alguém"}}),
    ]  # fmt: skip
    for number, (content_type, content) in enumerate(contents):
        response = page.request.post(
            f"{page.base_url}/webhooks/blip/demo-router/messages",
            data=json.dumps(
                {"id": f"k{number}", "from": node, "type": content_type, "content": content}
            ),
            headers={
                "Authorization": f"Key {router.webhook_secret}",
                "Content-Type": "application/json",
            },
        )
        assert response.status == 200
    login("admin", "admin")
    page.goto(f"{page.base_url}/desk/simulator/?bot=demo-router&phone=%2B5511966665555")
    log = page.get_by_test_id("sim-log")
    for testid in ("media-image", "media-audio", "media-video", "media-document", "map-link"):
        assert log.get_by_test_id(testid).count() == 1, testid
    assert log.get_by_test_id("message-contact-card").count() == 1
    assert log.get_by_test_id("button-reply").inner_text() == "Quero falar com alguém"
    # The customer played in the simulator sends a photo too.
    page.get_by_test_id("sim-attach").locator("summary").click()
    page.get_by_test_id("sim-media").fill(f"{media_server}/outra.png")
    page.get_by_test_id("sim-text").fill("Mais uma foto")
    page.get_by_test_id("sim-send").click()
    log.get_by_test_id("media-image").nth(1).wait_for()
    assert "Mais uma foto" in log.inner_text()
    screenshot(page, "simulator-media-1280")
    page.set_viewport_size(PHONE)
    screenshot(page, "simulator-media-390")
