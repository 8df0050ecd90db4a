"""What the conversation shows of one message: the view model of ``desk/_message_content.html``.

One place decides how a message looks, for the ticket page, the contact simulator and any page
that shows a conversation: ``{% load desk_messages %}{% message_content message %}``. Inbound
content is read again with ``bots.content.parse_content`` (pure), so rows stored before a type
was understood render as well as new ones. Addresses from the channel are only ever shown as
http(s) links; anything else (``javascript:``, ``data:``) is left out, never rendered.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from django.utils.translation import gettext as _

from bots.content import ContentError, media_category, parse_content
from bots.models import Message
from bots.phones import format_phone

_DOCUMENT_LABELS = {
    "application/pdf": "PDF",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/zip": "ZIP",
    "text/csv": "CSV",
}


def safe_url(value: Any) -> str:
    """``value`` when it is an absolute http(s) address, else ""."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return ""
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


def message_view(message: Message) -> dict[str, Any]:
    """The fields the partial needs, with ``kind`` choosing its block."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.kind == Message.Kind.TEMPLATE:
        return _template(message, payload)
    content_type = payload.get("type")
    if not isinstance(content_type, str) or not content_type:
        return {"kind": "text", "text": message.text}
    try:
        parsed = parse_content(content_type, payload.get("content"))
    except ContentError:
        return {"kind": "other"}
    build = _BUILDERS.get(parsed.kind)
    return build(parsed.data) if build else {"kind": parsed.kind, "text": parsed.text}


def _template(message: Message, payload: dict) -> dict[str, Any]:
    header = payload.get("header") if isinstance(payload.get("header"), dict) else {}
    media = None
    link = safe_url(header.get("link"))
    if header.get("type") in ("image", "video", "document") and link:
        media = _media({"media": header["type"], "uri": link, "title": header.get("filename", "")})
    buttons = [
        b.get("text", "") if isinstance(b, dict) else str(b)
        for b in payload.get("buttons") or []
        if b
    ]
    return {
        "kind": "template",
        "template_name": payload.get("template_name") or payload.get("template") or "",
        "header_text": header.get("text", ""),
        "header_media": media,
        "body": message.text,
        "buttons": buttons,
    }


def _file_name(uri: str) -> str:
    name = posixpath.basename(unquote(urlsplit(uri).path)) if uri else ""
    return name[:120]


def _document_label(mime: str, name: str) -> str:
    if mime in _DOCUMENT_LABELS:
        return _DOCUMENT_LABELS[mime]
    extension = posixpath.splitext(name)[1].lstrip(".")
    if extension.isalnum() and len(extension) <= 5:
        return extension.upper()
    return _("File")


def _media(data: dict) -> dict[str, Any]:
    url = safe_url(data.get("uri"))
    media = data.get("media") or media_category(data.get("mime", ""))
    name = data.get("title") or _file_name(url)
    return {
        "kind": "media",
        "media": media,
        "url": url,
        "preview": safe_url(data.get("preview_uri")) or url,
        "name": name or _("Document"),
        "label": _document_label(data.get("mime", ""), name),
        "size": data.get("size"),
        "caption": data.get("caption", ""),
        "alt": data.get("caption") or name or _("Image sent by the contact"),
    }


def _location(data: dict) -> dict[str, Any]:
    lat, lon = data["latitude"], data["longitude"]
    query = urlencode({"api": 1, "query": f"{lat},{lon}"})
    return {
        "kind": "location",
        "name": data.get("name", ""),
        "address": data.get("address", ""),
        "coordinates": f"{lat:.5f}, {lon:.5f}",
        "map_url": f"https://www.google.com/maps/search/?{query}",
    }


def _contact(data: dict) -> dict[str, Any]:
    people = [
        {
            "name": p.get("name") or _("Contact without a name"),
            "phones": [format_phone(x) if x.startswith("+") else x for x in p.get("phones", [])],
            "emails": p.get("emails", []),
        }
        for p in data.get("contacts", [])
    ]
    return {"kind": "contact", "people": people}


def _reply(data: dict) -> dict[str, Any]:
    return {"kind": "reply", "text": data.get("text", ""), "in_reply_to": data.get("in_reply_to")}


def _link(data: dict) -> dict[str, Any]:
    url = safe_url(data.get("uri"))
    return {
        "kind": "link",
        "url": url,
        "title": data.get("title") or url,
        "text": data.get("text", ""),
    }


def _reaction(data: dict) -> dict[str, Any]:
    return {"kind": "reaction", "emoji": data.get("emoji", ""), "removed": data.get("removed")}


def _text(data: dict) -> dict[str, Any]:
    return {"kind": "text", "text": data.get("text", "")}


_BUILDERS = {
    "text": _text,
    "media": _media,
    "location": _location,
    "contact": _contact,
    "reply": _reply,
    "link": _link,
    "reaction": _reaction,
}
