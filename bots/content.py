"""What a contact sent, read from the LIME content Blip delivers (pure: no Django, no I/O).

``parse_content(type, content)`` turns one envelope's ``type`` and ``content`` into a kind (the
``bots.Message.Kind`` values), a plain text (what routing rules and opt-out keywords read, and
what a list shows) and normalised fields for the renderer (``desk.message_content``). It accepts
the LIME documents Blip uses for WhatsApp (media link, location, contact, reply, web link,
reaction) and WhatsApp's own shapes Blip passes through as ``application/json`` (template
quick-reply buttons, interactive replies, shared contacts). Anything else is kept as "other":
recorded and shown as a message the Desk cannot display, never as a bare MIME type.
"""

from __future__ import annotations

import math
import mimetypes
from dataclasses import dataclass, field
from typing import Any

TEXT = "text/plain"
MEDIA_LINK = "application/vnd.lime.media-link+json"
WEB_LINK = "application/vnd.lime.web-link+json"
LOCATION = "application/vnd.lime.location+json"
CONTACT = "application/vnd.lime.contact+json"
REPLY = "application/vnd.lime.reply+json"
REACTION = "application/vnd.lime.reaction+json"
CHAT_STATE = "application/vnd.lime.chatstate+json"
JSON = "application/json"

# Envelopes that are not messages a person wrote: "typing…" and the like.
NOT_MESSAGES = frozenset({CHAT_STATE})

_MAX_TEXT = 4096
_MAX_FIELD = 1000


class ContentError(ValueError):
    """The content does not fit its declared type; ``code`` names the problem."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class InboundContent:
    kind: str  # text, media, location, contact, reply, link, reaction, other
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def parse_content(content_type: str, content: Any) -> InboundContent:
    """The kind, text and renderable fields of one envelope's content; ContentError if broken."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == TEXT:
        if not isinstance(content, str):
            raise ContentError("bad_content")
        return InboundContent("text", content[:_MAX_TEXT], {"text": content[:_MAX_TEXT]})
    parser = _PARSERS.get(kind)
    if parser is None:
        return _other(kind)
    if not isinstance(content, dict):
        raise ContentError("bad_content")
    return parser(content)


def _str(value: Any, limit: int = _MAX_FIELD) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def media_category(mime: str) -> str:
    """image / audio / video / document (what player the Desk offers) of a MIME type."""
    head = (mime or "").split("/", 1)[0].strip().lower()
    if head in ("image", "sticker"):
        return "image"
    return head if head in ("audio", "video") else "document"


# What a list or a preview shows of a message without words: language-neutral, never a MIME type.
ICONS = {"image": "📷", "audio": "🎤", "video": "🎬", "document": "📄", "location": "📍"}
ICONS |= {"contact": "👤", "link": "🔗"}


def _summary(icon: str, *words: str) -> str:
    return " ".join([ICONS[icon], *(w for w in words if w)])[:_MAX_TEXT]


def _media(content: dict) -> InboundContent:
    uri = _str(content.get("uri"), 2000)
    mime = _str(content.get("type"), 100).lower() or (mimetypes.guess_type(uri)[0] or "")
    caption = _str(content.get("text"), _MAX_TEXT)
    data = {
        "media": media_category(mime),
        "mime": mime,
        "uri": uri,
        "preview_uri": _str(content.get("previewUri"), 2000),
        "title": _str(content.get("title")),
        "caption": caption,
        "size": _int(content.get("size")),
    }
    words = caption or (data["title"] if data["media"] == "document" else "")
    return InboundContent("media", _summary(data["media"], words), data)


def _coordinate(value: Any, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def _location(content: dict) -> InboundContent:
    latitude = _coordinate(content.get("latitude"), 90)
    longitude = _coordinate(content.get("longitude"), 180)
    if latitude is None or longitude is None:
        raise ContentError("bad_location")
    name = _str(content.get("text")) or _str(content.get("name"))
    address = _str(content.get("address"))
    data = {"latitude": latitude, "longitude": longitude, "name": name, "address": address}
    return InboundContent("location", _summary("location", name, address), data)


def _person(name: str, phones: list[str], emails: list[str]) -> dict:
    return {
        "name": name,
        "phones": [p for p in phones if p][:5],
        "emails": [e for e in emails if e][:5],
    }


def _lime_contact(content: dict) -> InboundContent:
    person = _person(
        _str(content.get("name")), [_str(content.get("phoneNumber"))], [_str(content.get("email"))]
    )
    return _contacts([person])


def _whatsapp_contacts(items: list) -> InboundContent:
    people = []
    for item in items[:10]:
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        full = _str(name.get("formatted_name")) if isinstance(name, dict) else _str(name)
        phones = [_str(p.get("phone")) for p in item.get("phones") or [] if isinstance(p, dict)]
        emails = [_str(e.get("email")) for e in item.get("emails") or [] if isinstance(e, dict)]
        people.append(_person(full, phones, emails))
    if not people:
        raise ContentError("bad_contacts")
    return _contacts(people)


def _contacts(people: list[dict]) -> InboundContent:
    names = ", ".join(p["name"] or (p["phones"] or [""])[0] for p in people)
    return InboundContent("contact", _summary("contact", names), {"contacts": people})


def _reply_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _str(value.get("text")) or _str(value.get("title")) or _str(value.get("name"))
    return ""


def _lime_reply(content: dict) -> InboundContent:
    replied = content.get("replied")
    if not isinstance(replied, dict):
        raise ContentError("bad_reply")
    text = _str(_reply_value(replied.get("value")), _MAX_TEXT)
    answered = content.get("inReplyTo")
    original = _reply_value(answered.get("value")) if isinstance(answered, dict) else ""
    data = {"text": text, "payload": text, "in_reply_to": _str(original)}
    return InboundContent("reply", text, data)


def _button(text: str, payload: str) -> InboundContent:
    text = text or payload
    return InboundContent("reply", text, {"text": text, "payload": payload, "in_reply_to": ""})


def _whatsapp_json(content: dict) -> InboundContent:
    """WhatsApp's own message shapes, as Blip passes them on inside ``application/json``."""
    kind = content.get("type")
    button = content.get("button")
    if isinstance(button, dict):  # a template's quick-reply button
        return _button(_str(button.get("text")), _str(button.get("payload")))
    interactive = content.get("interactive")
    if isinstance(interactive, dict):
        for key in ("button_reply", "list_reply"):
            chosen = interactive.get(key)
            if isinstance(chosen, dict):
                return _button(_str(chosen.get("title")), _str(chosen.get("id")))
    if isinstance(content.get("contacts"), list):
        return _whatsapp_contacts(content["contacts"])
    if kind == "location" and isinstance(content.get("location"), dict):
        return _location(content["location"])
    return _other(JSON)


def _web_link(content: dict) -> InboundContent:
    data = {
        "uri": _str(content.get("uri"), 2000),
        "title": _str(content.get("title")),
        "text": _str(content.get("text"), _MAX_TEXT),
    }
    return InboundContent(
        "link", data["text"] or _summary("link", data["title"] or data["uri"]), data
    )


def _reaction(content: dict) -> InboundContent:
    emoji = content.get("emoji")
    values = emoji.get("values") if isinstance(emoji, dict) else None
    points = [v for v in values or () if isinstance(v, int) and 0 < v <= 0x10FFFF]
    text = "".join(chr(v) for v in points[:8])
    return InboundContent("reaction", text, {"emoji": text, "removed": not text})


def _other(content_type: str) -> InboundContent:
    return InboundContent("other", "", {"content_type": content_type})


def media_link(uri: str, caption: str = "") -> dict[str, Any]:
    """The LIME media-link content of a file at ``uri`` (its type read from the address), as a
    contact's phone would send it: what the contact simulator sends for an attachment."""
    content: dict[str, Any] = {"uri": uri, "type": mimetypes.guess_type(uri)[0] or ""}
    if caption:
        content["text"] = caption
    return content


_PARSERS = {
    MEDIA_LINK: _media,
    LOCATION: _location,
    CONTACT: _lime_contact,
    REPLY: _lime_reply,
    WEB_LINK: _web_link,
    REACTION: _reaction,
    JSON: _whatsapp_json,
}
