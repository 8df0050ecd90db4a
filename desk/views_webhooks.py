"""The inbound message webhook: parse the LIME envelope, authenticate, hand it to the pipeline."""

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bots.content import NOT_MESSAGES, ContentError, parse_content
from bots.lime import (
    MAX_WEBHOOK_BODY,
    BodyTooLarge,
    WebhookAuthError,
    node_identity,
    node_to_phone,
    webhook_body,
    webhook_bot,
)
from desk.inbound import inbound_receive
from desk.metrics import INBOUND_SECONDS

logger = logging.getLogger(__name__)

MAX_BODY = MAX_WEBHOOK_BODY
MAX_ID = 100  # what Message.gateway_message_id holds


class NotAMessage(Exception):
    """An envelope that is not something a person wrote ("typing…"): acknowledged, not kept."""


class MalformedEnvelope(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def parse_envelope(body: bytes) -> dict:
    """The fields the pipeline needs from a LIME message envelope; MalformedEnvelope otherwise."""
    if len(body) > MAX_BODY:
        raise MalformedEnvelope("too_large", "the envelope is larger than 256 KiB")
    try:
        data = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedEnvelope("not_json", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedEnvelope("not_object", "the envelope is not a JSON object")
    envelope_id = data.get("id")
    if not isinstance(envelope_id, str) or not envelope_id.strip():
        raise MalformedEnvelope("missing_id", "the envelope has no id")
    if len(envelope_id.strip()) > MAX_ID:
        raise MalformedEnvelope(
            "id_too_long", f"the envelope id is longer than {MAX_ID} characters"
        )
    try:
        phone = node_to_phone(data.get("from"))
        identity = node_identity(data.get("from"))
    except ValueError as exc:
        raise MalformedEnvelope("bad_from", f"'from' is not a WhatsApp contact: {exc}") from None
    kind_name = data.get("type")
    if not isinstance(kind_name, str) or not kind_name:
        raise MalformedEnvelope("missing_type", "the envelope has no type")
    if kind_name.split(";", 1)[0].strip().lower() in NOT_MESSAGES:
        raise NotAMessage(kind_name)
    content = data.get("content")
    try:
        parsed = parse_content(kind_name, content)
    except ContentError as exc:
        raise MalformedEnvelope(exc.code, f"the content does not fit {kind_name}") from None
    return {
        "envelope_id": envelope_id.strip(),
        "phone": phone,
        "identity": identity,
        "text": parsed.text,
        "kind": parsed.kind,
        "payload": {"type": kind_name, "content": content, "to": data.get("to")},
    }


def _body(request) -> bytes:
    try:
        return webhook_body(request, MAX_BODY)
    except BodyTooLarge:
        raise MalformedEnvelope("too_large", "the envelope is larger than 256 KiB") from None


@csrf_exempt
@require_POST
def messages_webhook(request, bot_slug: str):
    try:
        bot = webhook_bot(request, bot_slug)
    except WebhookAuthError:
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        envelope = parse_envelope(_body(request))
    except NotAMessage:
        return JsonResponse({"status": "ignored"})
    except MalformedEnvelope as exc:
        logger.warning("malformed message envelope for %s: %s (%s)", bot_slug, exc, exc.code)
        return JsonResponse({"error": exc.code, "detail": str(exc)}, status=400)
    with INBOUND_SECONDS.time():
        result = inbound_receive(bot=bot, **envelope)
    if result.duplicate:
        return JsonResponse({"status": "duplicate"})
    return JsonResponse(
        {"status": "ok", "target": str(result.decision.target), "ticket": result.ticket_id}
    )
