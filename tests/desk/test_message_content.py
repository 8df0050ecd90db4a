"""Media and structured replies are visible in the Desk and the simulator (issue 8, item 2).

Each LIME content type goes in through the webhook and comes out of the ticket page (and the
simulator's log) as what a person expects to see, with only http(s) addresses, links opening in
a new tab without the Desk's address, and never a bare MIME type.
"""

import json
import re

import pytest
from django.urls import reverse

from bots.models import BotMembership, Message
from bots.services import contact_move_to_block
from desk.message_content import message_view, safe_url
from desk.models import Ticket
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    ContactFactory,
    FlowBlockFactory,
    UserFactory,
)
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db
PHONE = "+5511987654321"
NODE = "5511987654321@wa.gw.msging.net/instance"
MEDIA = "application/vnd.lime.media-link+json"


@pytest.fixture
def desk(client):
    """A contact in a human block of a Desk whose supervisor (a bot admin) is logged in."""
    bot = BotFactory()
    contact_move_to_block(
        contact=ContactFactory(bot=bot, phone=PHONE),
        bot=bot,
        block=FlowBlockFactory(bot=bot, human=True),
    )
    AttendantFactory(bot=bot, teams=[TeamFactory(bot=bot, name="Default")])
    user = UserFactory()
    BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.ADMIN)
    client.force_login(user)
    return bot


def receive(client, bot, content_type, content, envelope_id="m1"):
    body = {"id": envelope_id, "from": NODE, "type": content_type, "content": content}
    response = client.post(
        f"/webhooks/blip/{bot.slug}/messages",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )
    assert response.status_code == 200, response.content
    return response


def ticket_html(client, bot) -> str:
    ticket = Ticket.objects.get()
    response = client.get(reverse("desk:ticket", args=[bot.slug, ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    _assert_no_bare_mime_type(html)
    return html


def _assert_no_bare_mime_type(html: str) -> None:
    visible = re.sub(r"<[^>]+>", " ", html)  # attributes may name types; the text never does
    for mime in ("image/jpeg", "audio/ogg", "video/mp4", "application/pdf", "application/vnd"):
        assert mime not in visible


def _links(html: str, testid: str) -> list[str]:
    return re.findall(rf'<a [^>]*data-testid="{testid}"[^>]*>', html)


def test_an_image_is_a_thumbnail_that_opens_full_size(client, desk):
    receive(
        client,
        desk,
        MEDIA,
        {
            "type": "image/jpeg",
            "uri": "https://media.blip.ai/full.jpg",
            "previewUri": "https://media.blip.ai/thumb.jpg",
            "text": "Segue o comprovante",
        },
    )
    html = ticket_html(client, desk)
    (link,) = _links(html, "media-image")
    assert 'href="https://media.blip.ai/full.jpg"' in link
    assert 'target="_blank"' in link and 'rel="noopener noreferrer"' in link
    assert '<img src="https://media.blip.ai/thumb.jpg" alt="Segue o comprovante"' in html
    assert "Segue o comprovante" in html


def test_audio_and_video_get_players(client, desk):
    receive(client, desk, MEDIA, {"type": "audio/ogg; codecs=opus", "uri": "https://m.b/a.ogg"})
    receive(client, desk, MEDIA, {"type": "video/mp4", "uri": "https://m.b/v.mp4"}, "m2")
    html = ticket_html(client, desk)
    assert re.search(r'<audio class="msg-player" controls [^>]*src="https://m.b/a.ogg"', html)
    assert re.search(r'<video class="msg-player" controls [^>]*src="https://m.b/v.mp4"', html)


def test_a_document_is_a_link_with_its_title_type_and_size(client, desk):
    receive(
        client,
        desk,
        MEDIA,
        {
            "type": "application/pdf",
            "uri": "https://m.b/d/123",
            "title": "contrato-assinado.pdf",
            "size": 1_258_291,
        },
    )
    html = ticket_html(client, desk)
    (link,) = _links(html, "media-document")
    assert 'href="https://m.b/d/123"' in link and 'rel="noopener noreferrer"' in link
    assert "contrato-assinado.pdf" in html
    assert "PDF · 1,2\xa0MB" in html  # pt-BR size


def test_a_location_is_a_map_link(client, desk):
    receive(
        client,
        desk,
        "application/vnd.lime.location+json",
        {"latitude": -23.561414, "longitude": -46.655881, "text": "Av. Paulista, 1578"},
    )
    html = ticket_html(client, desk)
    (link,) = _links(html, "map-link")
    assert "https://www.google.com/maps/search/?api=1&amp;query=-23.561414%2C-46.655881" in link
    assert "Av. Paulista, 1578" in html and "-23.56141, -46.65588" in html


def test_a_contact_is_a_card(client, desk):
    receive(
        client,
        desk,
        "application/json",
        {
            "contacts": [
                {
                    "name": {"formatted_name": "Carla Dias"},
                    "phones": [{"phone": "+5521987654321"}],
                    "emails": [{"email": "carla@example.com"}],
                }
            ]
        },
    )
    html = ticket_html(client, desk)
    card = html[html.index('data-testid="message-contact-card"') :]
    assert "Carla Dias" in card and "+55 21 98765-4321" in card and "carla@example.com" in card


def test_a_template_quick_reply_shows_the_buttons_text(client, desk):
    receive(
        client,
        desk,
        "application/json",
        {"type": "button", "button": {"text": "Quero falar com alguém", "payload": "HUMANO"}},
    )
    html = ticket_html(client, desk)
    assert re.search(r'data-testid="button-reply">Quero falar com alguém<', html)
    assert Message.objects.get().text == "Quero falar com alguém"  # what rules read


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://m.b/a.jpg",
        "//m.b/no-scheme.jpg",
        "https://m.b/a b.jpg",
    ],
)
def test_only_http_addresses_are_ever_rendered(client, desk, uri):
    receive(client, desk, MEDIA, {"type": "image/jpeg", "uri": uri})
    html = ticket_html(client, desk)
    assert uri not in html and "javascript:" not in html
    assert 'data-testid="media-unavailable"' in html


def test_something_the_desk_cannot_show_says_so_in_words(client, desk):
    receive(client, desk, "application/vnd.lime.payment+json", {"amount": 10})
    html = ticket_html(client, desk)
    assert 'data-content="other"' in html
    assert "application/vnd.lime.payment" not in html


def test_the_simulator_shows_media_through_the_same_partial(client, desk):
    receive(client, desk, MEDIA, {"type": "image/png", "uri": "https://m.b/i.png"})
    query = {"bot": desk.slug, "phone": PHONE}
    for name in ("desk:simulator", "desk:simulator_log"):
        html = client.get(reverse(name), query).content.decode()
        (link,) = _links(html, "media-image")
        assert 'href="https://m.b/i.png"' in link and 'rel="noopener noreferrer"' in link


def test_a_typing_notice_is_acknowledged_and_not_kept(client, desk):
    response = receive(client, desk, "application/vnd.lime.chatstate+json", {"state": "composing"})
    assert response.json() == {"status": "ignored"}
    assert not Message.objects.exists()


def test_a_broken_location_is_a_400_naming_the_problem(client, desk):
    body = {"id": "m1", "from": NODE, "type": "application/vnd.lime.location+json"}
    response = client.post(
        f"/webhooks/blip/{desk.slug}/messages",
        data=json.dumps({**body, "content": {"latitude": "north"}}),
        content_type="application/json",
        headers={"Authorization": f"Key {desk.webhook_secret}"},
    )
    assert (response.status_code, response.json()["error"]) == (400, "bad_location")


def test_an_outbound_template_with_a_media_header_shows_the_image():
    message = Message(
        kind=Message.Kind.TEMPLATE,
        text="Olá, Ana!",
        payload={
            "template_name": "oferta",
            "header": {"type": "image", "link": "https://cdn.example/banner.png"},
            "buttons": [{"text": "Quero"}],
        },
    )
    view = message_view(message)
    assert view["header_media"]["url"] == "https://cdn.example/banner.png"
    assert (view["body"], view["buttons"]) == ("Olá, Ana!", ["Quero"])


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("https://a.b/c?d=1", True),
        ("http://a.b", True),
        ("HTTPS://A.B/x", True),
        ("javascript://a.b/%0Aalert(1)", False),
        ("javascript:alert(1)", False),
        ("https:///path-only", False),
        ("https://a.b/\nx", False),
        (None, False),
    ],
)
def test_safe_url(value, safe):
    assert (safe_url(value) == value) is safe


def test_the_simulator_sends_a_file_as_the_customer(client, desk):
    query = {"bot": desk.slug, "phone": PHONE}
    data = {**query, "text": "Segue a foto", "media_url": "https://m.b/foto.jpg"}
    response = client.post(reverse("desk:simulator_send"), data)
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.kind, message.text) == ("media", "📷 Segue a foto")
    assert message.payload["content"] == {
        "uri": "https://m.b/foto.jpg",
        "type": "image/jpeg",
        "text": "Segue a foto",
    }
    html = client.get(reverse("desk:simulator_log"), query).content.decode()
    (link,) = _links(html, "media-image")
    assert 'href="https://m.b/foto.jpg"' in link


def test_the_simulator_refuses_a_file_address_that_is_not_a_web_link(client, desk):
    data = {"bot": desk.slug, "phone": PHONE, "text": "", "media_url": "javascript:alert(1)"}
    response = client.post(reverse("desk:simulator_send"), data, follow=True)
    assert not Message.objects.exists()
    tags = {tag for m in response.context["messages"] for tag in m.extra_tags.split()}
    assert "simulator_media_invalid" in tags


@pytest.mark.parametrize(
    "text", ["Oi", "duas\nlinhas\r\ne <b>tags</b> & “aspas”", "", None, "  espaços  "]
)
def test_a_text_bubble_is_what_the_partial_renders(text):
    """The tag writes plain texts itself; the partial stays the reference for every kind."""
    from django.template import Context, Template
    from django.template.loader import get_template

    message = Message(text=text, kind="text", payload={})
    written = Template("{% load desk_messages %}{% message_content m %}").render(
        Context({"m": message})
    )
    assert message_view(message)["kind"] == "text"
    partial = get_template("desk/_message_content.html").render(
        {"c": message_view(message), "message": message}
    )
    assert written == partial


def test_other_kinds_still_render_through_the_partial():
    from django.template import Context, Template

    message = Message(text="", kind="text", payload={"type": "application/x-poll", "content": {}})
    written = Template("{% load desk_messages %}{% message_content m %}").render(
        Context({"m": message})
    )
    assert 'data-content="other"' in written
