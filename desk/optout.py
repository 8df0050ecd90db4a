"""Opt-out by reply (R20): recognising the request, recording it, confirming it once.

A reply made of one of the bot's keywords alone (case, accents and punctuation ignored) or the
press of its opt-out button opts the contact out of the bot's campaigns. ``opt_out_requested``
is pure; the inbound pipeline calls it on every message with the bot's policy, which it reads
from the bot's cached configuration (``desk.inbound_config``: no query on the hot path).
``contact_opt_out_by_reply`` records it; the first time only, the confirmation is sent after
commit, through the gateway, by a task.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction

from bots.content import ContentError, parse_content
from bots.gateway import GatewayError, get_gateway
from bots.models import Contact, Message, OptOutSource
from bots.services import contact_opt_out, message_record
from desk import jobs
from desk.models import OptOutSettings
from desk.models.optout import default_opt_out_confirmation, default_opt_out_keywords

_NOT_WORDS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """'  Não-quero RECEBER! ' → 'nao quero receber': what a keyword is compared as."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORDS.sub(" ", plain).strip().casefold()


@dataclass(frozen=True)
class OptOutPolicy:
    enabled: bool
    keywords: frozenset[str]
    button_payload: str
    confirmation: str

    @classmethod
    def of(cls, settings: OptOutSettings | None) -> OptOutPolicy:
        if settings is None:
            words, payload, text, on = default_opt_out_keywords(), "", "", True
        else:
            words, payload = settings.keywords or [], settings.button_payload
            text, on = settings.confirmation, settings.enabled
        return cls(
            enabled=on,
            keywords=frozenset(f for w in words if isinstance(w, str) and (f := fold(w))),
            button_payload=fold(payload),
            confirmation=text.strip() or default_opt_out_confirmation(),
        )


def opt_out_requested(*, policy: OptOutPolicy, text: str, kind: str, payload: dict) -> str:
    """How ``text`` / ``payload`` asks to opt out ("keyword", "button"), or "" when it does not."""
    if not policy.enabled:
        return ""
    pressed = kind == Message.Kind.REPLY and policy.button_payload
    if pressed and fold(_button_payload(payload)) == policy.button_payload:
        return OptOutSource.BUTTON
    if kind in (Message.Kind.TEXT, Message.Kind.REPLY) and fold(text) in policy.keywords:
        return OptOutSource.KEYWORD
    return ""


def _button_payload(payload: dict) -> str:
    try:
        parsed = parse_content(payload.get("type", ""), payload.get("content"))
    except (ContentError, AttributeError):
        return ""
    return parsed.data.get("payload", "") if parsed.kind == "reply" else ""


def contact_opt_out_by_reply(*, contact: Contact, source: str, at: dt.datetime, policy) -> bool:
    """Record the opt-out; the first time, send the confirmation once this transaction commits."""
    if not contact_opt_out(contact=contact, source=source, at=at):
        return False  # already opted out: answered before, not again
    text, when = policy.confirmation, at.isoformat()
    transaction.on_commit(
        lambda: jobs.send_opt_out_confirmation(contact_id=contact.pk, opted_out_at=when, text=text)
    )
    return True


def opt_out_confirmation_send(*, contact_id: int, opted_out_at: str, text: str) -> Message | None:
    """Send the confirmation as the bot, inside the 24 hours the contact's message opened.

    Once per opt-out, even when the task runs twice: the message is on record (keyed by the
    opt-out's time) before the network is touched, and a second run finds it and sends nothing.
    """
    contact = Contact.objects.select_related("bot").filter(pk=contact_id).first()
    if contact is None:
        return None
    with transaction.atomic():
        locked = Contact.objects.select_for_update().filter(pk=contact_id).exists()
        done = Message.objects.filter(contact_id=contact_id, payload__opt_out_at=opted_out_at)
        if not locked or done.exists():
            return None
        message = message_record(
            bot=contact.bot,
            contact=contact,
            direction=Message.Direction.OUTBOUND,
            text=text,
            status=Message.Status.PENDING,
            payload={"opt_out_at": opted_out_at},
        )
    try:
        gateway_id = get_gateway().send_text(
            bot=contact.bot, contact=contact, message_id=f"optout-{message.pk}", text=text
        )
    except GatewayError as exc:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.FAILED, failure_reason=exc.reason[:300]
        )
    else:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.SENT, gateway_message_id=gateway_id or ""
        )
    message.refresh_from_db()
    return message
