"""``POST /webhooks/blip/<bot>/notifications``: Blip's delivery events for our messages.

Authenticated by the bot's webhook secret, idempotent by envelope (event + id), and never a 500:
anything malformed is a 400 naming the problem, since Blip would otherwise redeliver it forever.
"""

import json
import logging

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bots.gateway.events import delivery_event_apply, normalize_event
from bots.lime import BodyTooLarge, WebhookAuthError, webhook_body, webhook_bot
from bots.models import ProcessedEnvelope

logger = logging.getLogger(__name__)


class MalformedNotification(ValueError):
    pass


def parse_notification(raw: bytes) -> tuple[str, str, str]:
    """(message id, LIME event, failure reason) of a notification envelope."""
    try:
        envelope = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise MalformedNotification("invalid_json") from None
    if not isinstance(envelope, dict):
        raise MalformedNotification("not_an_object")
    message_id, event = envelope.get("id"), envelope.get("event")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 100:
        raise MalformedNotification("missing_id")
    if not isinstance(event, str):
        raise MalformedNotification("missing_event")
    try:
        event = normalize_event(event.lower())
    except ValueError:
        raise MalformedNotification("unknown_event") from None
    reason = envelope.get("reason")
    text = ""
    if isinstance(reason, dict):
        text = str(reason.get("description") or "")
        if reason.get("code") is not None:
            text = f"{text} (code {reason.get('code')})".strip()
    return message_id.strip(), event, text


@csrf_exempt
@require_POST
def blip_notifications(request, bot_slug: str):
    try:
        bot = webhook_bot(request, bot_slug)
    except WebhookAuthError:
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        message_id, event, reason = parse_notification(webhook_body(request))
    except BodyTooLarge:
        logger.warning("notification for %s refused: larger than the webhook limit", bot_slug)
        return JsonResponse({"error": "too_large"}, status=400)
    except MalformedNotification as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    try:
        with transaction.atomic():
            ProcessedEnvelope.objects.create(
                bot=bot,
                kind=ProcessedEnvelope.Kind.NOTIFICATION,
                envelope_id=f"{event}:{message_id}",
            )
            delivery_event_apply(bot=bot, message_id=message_id, event=event, reason=reason)
    except IntegrityError:
        return JsonResponse({"status": "duplicate"})
    return JsonResponse({"status": "ok"})
