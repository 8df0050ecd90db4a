"""Reading what a contact sent from the LIME content Blip delivers (pure, no database)."""

import pytest

from bots.content import NOT_MESSAGES, ContentError, parse_content

MEDIA = "application/vnd.lime.media-link+json"


@pytest.mark.parametrize(
    ("content", "media", "text"),
    [
        pytest.param(
            {"type": "image/jpeg", "uri": "https://m.blip.ai/1.jpg", "text": "Meu boleto"},
            "image",
            "📷 Meu boleto",
            id="image-with-caption",
        ),
        pytest.param({"type": "sticker/webp", "uri": "https://m/s"}, "image", "📷", id="sticker"),
        pytest.param(
            {"type": "audio/ogg; codecs=opus", "uri": "https://m/a"}, "audio", "🎤", id="voice"
        ),
        pytest.param({"type": "video/mp4", "uri": "https://m/v"}, "video", "🎬", id="video"),
        pytest.param(
            {"type": "application/pdf", "uri": "https://m/d", "title": "contrato.pdf"},
            "document",
            "📄 contrato.pdf",
            id="document-with-title",
        ),
        pytest.param({"uri": "https://m/x/foto.png"}, "image", "📷", id="type-from-the-address"),
    ],
)
def test_media_links_by_category(content, media, text):
    parsed = parse_content(MEDIA, content)
    assert (parsed.kind, parsed.data["media"], parsed.text) == ("media", media, text)


def test_media_keeps_size_preview_and_title():
    parsed = parse_content(
        MEDIA,
        {
            "type": "application/pdf",
            "uri": "https://m/d",
            "previewUri": "https://m/p",
            "title": "contrato.pdf",
            "size": 1_234_567,
        },
    )
    assert parsed.data | {} == {
        "media": "document",
        "mime": "application/pdf",
        "uri": "https://m/d",
        "preview_uri": "https://m/p",
        "title": "contrato.pdf",
        "caption": "",
        "size": 1_234_567,
    }


def test_location():
    parsed = parse_content(
        "application/vnd.lime.location+json",
        {"latitude": -23.5505, "longitude": "-46.6333", "text": "Loja Paulista"},
    )
    assert parsed.kind == "location" and parsed.text == "📍 Loja Paulista"
    assert (parsed.data["latitude"], parsed.data["longitude"]) == (-23.5505, -46.6333)


@pytest.mark.parametrize(
    "content",
    [{"latitude": 91, "longitude": 0}, {"latitude": "x", "longitude": 0}, {"longitude": 1}],
)
def test_a_location_without_valid_coordinates_is_refused(content):
    with pytest.raises(ContentError) as error:
        parse_content("application/vnd.lime.location+json", content)
    assert error.value.code == "bad_location"


def test_lime_contact_card():
    parsed = parse_content(
        "application/vnd.lime.contact+json",
        {"name": "Bruno Lima", "phoneNumber": "+5521987654321", "email": "b@example.com"},
    )
    assert parsed.kind == "contact" and parsed.text == "👤 Bruno Lima"
    assert parsed.data["contacts"] == [
        {"name": "Bruno Lima", "phones": ["+5521987654321"], "emails": ["b@example.com"]}
    ]


def test_whatsapp_shared_contacts_through_application_json():
    content = {
        "contacts": [
            {"name": {"formatted_name": "Carla"}, "phones": [{"phone": "+55 11 91234-5678"}]},
            {"name": {"formatted_name": "Davi"}, "emails": [{"email": "d@example.com"}]},
        ]
    }
    parsed = parse_content("application/json", content)
    assert parsed.kind == "contact"
    assert [p["name"] for p in parsed.data["contacts"]] == ["Carla", "Davi"]


@pytest.mark.parametrize(
    ("content_type", "content", "text", "payload"),
    [
        pytest.param(
            "application/vnd.lime.reply+json",
            {
                "replied": {"type": "text/plain", "value": "Quero saber mais"},
                "inReplyTo": {"id": "c1r2", "type": "application/json", "value": {}},
            },
            "Quero saber mais",
            "Quero saber mais",
            id="lime-reply-to-a-template",
        ),
        pytest.param(
            "application/json",
            {"type": "button", "button": {"text": "Não tenho interesse", "payload": "OPT_OUT"}},
            "Não tenho interesse",
            "OPT_OUT",
            id="template-quick-reply",
        ),
        pytest.param(
            "application/json",
            {"type": "interactive", "interactive": {"button_reply": {"id": "b2", "title": "Sim"}}},
            "Sim",
            "b2",
            id="interactive-button",
        ),
        pytest.param(
            "application/json",
            {"interactive": {"list_reply": {"id": "row-3", "title": "Boleto"}}},
            "Boleto",
            "row-3",
            id="interactive-list",
        ),
    ],
)
def test_button_presses_show_the_buttons_text_and_keep_the_payload(
    content_type, content, text, payload
):
    parsed = parse_content(content_type, content)
    assert (parsed.kind, parsed.text, parsed.data["payload"]) == ("reply", text, payload)


def test_a_reply_to_a_menu_remembers_the_question():
    parsed = parse_content(
        "application/vnd.lime.reply+json",
        {
            "replied": {"type": "text/plain", "value": "Plano de Saúde"},
            "inReplyTo": {"value": {"text": "Escolha a opção:", "options": []}},
        },
    )
    assert parsed.data["in_reply_to"] == "Escolha a opção:"


def test_web_link_and_reaction():
    link = parse_content(
        "application/vnd.lime.web-link+json", {"uri": "https://loja.example/p/1", "title": "Tênis"}
    )
    assert (link.kind, link.text, link.data["uri"]) == (
        "link",
        "🔗 Tênis",
        "https://loja.example/p/1",
    )
    reaction = parse_content("application/vnd.lime.reaction+json", {"emoji": {"values": [128077]}})
    assert (reaction.kind, reaction.text) == ("reaction", "👍")
    removed = parse_content("application/vnd.lime.reaction+json", {"emoji": {"values": []}})
    assert removed.data["removed"] is True


@pytest.mark.parametrize(
    "content_type",
    ["application/vnd.lime.payment+json", "application/json", "image/png", "x/unknown"],
)
def test_anything_else_is_other_and_keeps_no_mime_type_as_text(content_type):
    parsed = parse_content(content_type, {"whatever": 1})
    assert (parsed.kind, parsed.text) == ("other", "")


def test_typing_notices_are_not_messages():
    assert "application/vnd.lime.chatstate+json" in NOT_MESSAGES


@pytest.mark.parametrize(
    ("content_type", "content"),
    [("text/plain", {"a": 1}), (MEDIA, "https://x"), ("application/vnd.lime.reply+json", {})],
)
def test_content_that_does_not_fit_its_type_is_refused(content_type, content):
    with pytest.raises(ContentError):
        parse_content(content_type, content)
