"""Small helpers for Blip's LIME envelopes and webhook authentication."""

import hmac
import re

from django.core.exceptions import RequestDataTooBig
from django.http import Http404

from bots.models import Bot

# No LIME envelope Blip sends is anywhere near this; anything bigger is refused unread.
MAX_WEBHOOK_BODY = 256 * 1024
_SPACE = re.compile(r"\s")  # what str.isspace() calls a space, found in C


class WebhookAuthError(Exception):
    """The request does not carry the bot's webhook secret."""


class BodyTooLarge(Exception):
    """The webhook body is larger than ``MAX_WEBHOOK_BODY``."""


def webhook_body(request, limit: int = MAX_WEBHOOK_BODY) -> bytes:
    """The request body, or BodyTooLarge without reading more than the limit.

    A declared length over the limit is refused before reading; Django's own cap
    (DATA_UPLOAD_MAX_MEMORY_SIZE) would otherwise raise with a traceback in the error log for what
    is only a client's mistake.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLarge
    try:
        body = request.body
    except RequestDataTooBig:
        raise BodyTooLarge from None
    if len(body) > limit:
        raise BodyTooLarge
    return body


def node_to_phone(node: str) -> str:
    """'5511999998888@wa.gw.msging.net/instance' → '+5511999998888'; ValueError when not a phone."""
    if not isinstance(node, str) or "@" not in node:
        raise ValueError("not a LIME node")
    name = node.split("@", 1)[0].strip()
    if not name.isdigit() or not 8 <= len(name) <= 15:
        raise ValueError("the node's name is not a phone number")
    return f"+{name}"


def node_identity(node: str) -> str:
    """'5511999998888@wa.gw.msging.net/instance' → '5511999998888@wa.gw.msging.net' (R18).

    The instance after the slash changes from message to message; the name and domain are the
    account. ValueError when ``node`` is not a node.
    """
    if not isinstance(node, str) or "@" not in node:
        raise ValueError("not a LIME node")
    identity = node.split("/", 1)[0].strip().lower()
    name, _, domain = identity.partition("@")
    if not name or not domain or len(identity) > 120 or _SPACE.search(identity):
        raise ValueError("not a LIME node")
    return identity


def webhook_bot(request, bot_slug: str) -> Bot:
    """The top-level bot of a webhook URL, after checking ``Authorization: Key <secret>``.

    Raises Http404 for an unknown bot and WebhookAuthError for a missing or wrong secret; the
    comparison takes constant time so the secret cannot be guessed byte by byte.
    """
    bot = Bot.objects.filter(slug=bot_slug, router__isnull=True).first()
    if bot is None:
        raise Http404
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "key" or not hmac.compare_digest(secret.strip(), bot.webhook_secret):
        raise WebhookAuthError
    return bot
