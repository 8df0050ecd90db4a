"""The inbound message webhook: parse the LIME envelope, authenticate, hand it to the pipeline."""

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bots.lime import WebhookAuthError, node_identity, node_to_phone, webhook_bot
from bots.models import Message
from desk.inbound import inbound_receive

logger = logging.getLogger(__name__)

TEXT_TYPE = "text/plain"
MEDIA_TYPE = "application/vnd.lime.media-link+json"
MAX_BODY = 256 * 1024
MAX_ID = 100  # what Message.gateway_message_id holds


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
    content = data.get("content")
    if kind_name == TEXT_TYPE:
        if not isinstance(content, str):
            raise MalformedEnvelope("bad_content", "text/plain content must be a string")
        text, kind = content, Message.Kind.TEXT
    else:
        # Not routed by content, but recorded so the attendant sees that something arrived.
        text = f"[{kind_name}]"
        kind = Message.Kind.MEDIA if kind_name == MEDIA_TYPE else Message.Kind.TEXT
    return {
        "envelope_id": envelope_id.strip(),
        "phone": phone,
        "identity": identity,
        "text": text,
        "kind": kind,
        "payload": {"type": kind_name, "content": content, "to": data.get("to")},
    }


@csrf_exempt
@require_POST
def messages_webhook(request, bot_slug: str):
    try:
        bot = webhook_bot(request, bot_slug)
    except WebhookAuthError:
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        envelope = parse_envelope(request.body)
    except MalformedEnvelope as exc:
        logger.warning("malformed message envelope for %s: %s (%s)", bot_slug, exc, exc.code)
        return JsonResponse({"error": exc.code, "detail": str(exc)}, status=400)
    result = inbound_receive(bot=bot, **envelope)
    if result.duplicate:
        return JsonResponse({"status": "duplicate"})
    return JsonResponse(
        {"status": "ok", "target": str(result.decision.target), "ticket": result.ticket_id}
    )
