"""Client for Blip's HTTP API (LIME envelopes over ``/commands`` and ``/messages``).

Pure Python + httpx, no Django: it is exercised against ``tests/fakeblip.py`` over real sockets.
Every failure is a ``GatewayError`` whose class tells the caller what it may do next:

* ``TransientGatewayError``: nothing was done, or Blip asked us to come back later; retry.
* ``PermanentGatewayError``: Blip understood the request and refused it; retrying is useless.
* ``UnknownOutcomeError``: a message may have been delivered; resending it blindly could send it
  twice (R17), so the caller must decide (for instance mark the recipient for reconciliation).
"""

from __future__ import annotations

import email.utils
import functools
import math
import random
import re
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

WHATSAPP_POSTMASTER = "postmaster@wa.gw.msging.net"
CONTEXTS_POSTMASTER = "postmaster@msging.net"

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# A node containing one of these would silently change which context URI a command touches.
_URI_BREAKERS = re.compile(r"[/?#\s]")
_MEDIA_HEADERS = ("image", "video", "document")

# The request provably never reached Blip, so even a message can be retried safely. A write
# timeout leaves the request incomplete, and a server cannot act on half an HTTP request.
_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteTimeout,
    httpx.ProxyError,
)
_CLIENT_BUG = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)


class GatewayError(Exception):
    """Base of every Blip failure; ``reason`` is fit to store as a recipient's failure reason.

    ``status_code`` is the HTTP status when a response arrived; ``code`` the LIME reason code
    when Blip sent one.
    """

    def __init__(self, reason: str, *, status_code: int | None = None, code: int | None = None):
        super().__init__(reason)
        self.reason, self.status_code, self.code = reason, status_code, code


class TransientGatewayError(GatewayError):
    """Retry later, waiting at least ``retry_after`` seconds when Blip said so."""

    def __init__(self, reason: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(reason, **kwargs)
        self.retry_after = retry_after


class PermanentGatewayError(GatewayError):
    """Blip refused this request; the same request would be refused again."""


class UnknownOutcomeError(GatewayError):
    """A message left this process but its answer was lost: it may or may not have been sent."""


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 30.0, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): exponential, full jitter.

    Full jitter spreads the retries of many workers hit by the same 429 instead of having them
    all come back at the same instant.
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    # Capping before exponentiating keeps absurd attempt numbers from overflowing a float.
    ceiling = cap if attempt >= 64 else min(cap, base * 2**attempt)
    return rng() * ceiling


class BlipClient:
    """One bot's connection to Blip. Thread-safe; keeps connections alive, so reuse it."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid Blip API URL {base_url!r}: {exc}") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"Blip API URL must be an absolute http(s) URL: {base_url!r}")
        # The portal shows the header value ("Key abc..."); accept that as well as the bare key.
        key = api_key.strip().removeprefix("Key ").strip()
        if not key:
            raise ValueError("Blip API key is empty")
        base = base_url.rstrip("/")
        self._commands_url, self._messages_url = f"{base}/commands", f"{base}/messages"
        self._headers = {"Authorization": f"Key {key}", "Content-Type": "application/json"}
        self._timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        if client is None:
            client = httpx.Client(timeout=self._timeout, verify=_tls_context())
        self._http = client

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> BlipClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- commands (idempotent: a lost answer is simply retried) --------------------------------

    def resolve_identity(self, phone_e164: str) -> str:
        """WhatsApp identity (``alternativeAccount``) Blip uses to address this phone."""
        if not _E164.fullmatch(phone_e164):
            raise ValueError(f"phone must be E.164 with a leading '+': {phone_e164!r}")
        uri = f"lime://wa.gw.msging.net/accounts/{phone_e164}"
        body = self._command({"to": WHATSAPP_POSTMASTER, "method": "get", "uri": uri})
        resource = body.get("resource")
        identity = resource.get("alternativeAccount") if isinstance(resource, dict) else None
        if not isinstance(identity, str) or "@" not in identity:
            raise PermanentGatewayError(f"Blip found no WhatsApp account for {phone_e164}")
        return identity

    def set_master_state(self, *, identity: str, sub_bot_address: str) -> None:
        """Make the router hand the contact's next message to ``sub_bot_address`` (x@msging.net).

        Needs the router's key, and the sub-bot must use the router context.
        """
        _require_node(identity, "identity")
        _require_node(sub_bot_address, "sub_bot_address")
        self._set_context(identity, "Master-State", sub_bot_address)

    def set_state(self, *, identity: str, flow_id: str, block_id: str) -> None:
        """Make the flow ``flow_id`` take the contact's next message at block ``block_id``."""
        _require_node(identity, "identity")
        if not flow_id or _URI_BREAKERS.search(flow_id) or not block_id:
            raise ValueError(f"invalid flow id {flow_id!r} or block id {block_id!r}")
        self._set_context(identity, f"stateid@{flow_id}", block_id)

    # -- messages (not idempotent: a lost answer is an unknown outcome) -------------------------

    def send_template(
        self, *, message_id: str, to: str, template_name: str, language: str, components: list[dict]
    ) -> None:
        """Send an approved WhatsApp template (an active message).

        ``message_id`` is chosen by the caller so that delivery events, which carry it, lead back
        to the recipient, and so that a retry after a crash reuses the same id.
        """
        if not template_name or not language:
            raise ValueError("template_name and language are required")
        language_spec = {"code": language, "policy": "deterministic"}
        template = {"name": template_name, "language": language_spec, "components": components}
        content = {"type": "template", "template": template}
        self._message(message_id, to, "application/json", content)

    def send_text(self, *, message_id: str, to: str, text: str) -> None:
        if not text:
            raise ValueError("text is empty")
        self._message(message_id, to, "text/plain", text)

    @staticmethod
    def build_components(
        header: dict | None, body_params: list[str], button_params: list[tuple[int, str]]
    ) -> list[dict]:
        """WhatsApp template components for the given parameter values.

        ``header``: ``{"type": "text", "text": ...}`` or ``{"type": "image" | "video" |
        "document", "link": url}`` (a document may add ``"filename"``). ``button_params``:
        ``(button index, URL suffix)`` for URL buttons with a variable.
        """
        components: list[dict] = []
        if header is not None:
            components.append({"type": "header", "parameters": [_header_parameter(header)]})
        if body_params:
            params = [{"type": "text", "text": _param(value)} for value in body_params]
            components.append({"type": "body", "parameters": params})
        for index, value in button_params:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= 9:
                raise ValueError(f"button index must be 0-9, got {index!r}")
            parameters = [{"type": "text", "text": _param(value)}]
            # Meta's reference sends the index as a string.
            button = {"type": "button", "sub_type": "url", "index": str(index)}
            components.append({**button, "parameters": parameters})
        return components

    # -- plumbing ------------------------------------------------------------------------------

    def _set_context(self, identity: str, variable: str, value: str) -> None:
        uri = f"/contexts/{identity}/{variable}"
        command = {"to": CONTEXTS_POSTMASTER, "method": "set", "uri": uri}
        self._command({**command, "type": "text/plain", "resource": value})

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        response = self._post(self._commands_url, {"id": str(uuid.uuid4()), **command}, False)
        body = _json_or_none(response)
        status = body.get("status") if isinstance(body, dict) else None
        if status == "failure":
            _raise_failure(body, response.status_code)
        if status != "success":
            reason = f"Blip answered the command with no success envelope (status {status!r})"
            raise PermanentGatewayError(reason, status_code=response.status_code)
        return body

    def _message(self, message_id: str, to: str, content_type: str, content: Any) -> None:
        if not message_id:
            raise ValueError("message_id is empty")
        _require_node(to, "to")
        envelope = {"id": message_id, "to": to, "type": content_type, "content": content}
        response = self._post(self._messages_url, envelope, True)
        # Blip answers 202 with no body; a body, if any, may still carry a LIME failure.
        body = _json_or_none(response) if response.content else None
        if isinstance(body, dict) and body.get("status") == "failure":
            _raise_failure(body, response.status_code)

    def _post(self, url: str, payload: dict[str, Any], is_message: bool) -> httpx.Response:
        try:
            # A redirected POST could be replayed elsewhere; a redirect means misconfiguration.
            response = self._http.post(
                url,
                json=payload,
                headers=self._headers,
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.RequestError as exc:
            raise _transport_error(exc, is_message) from exc
        _raise_for_status(response, is_message)
        return response


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~60 ms per client; the context is never mutated, so share it.
    return httpx.create_ssl_context()


def _transport_error(exc: httpx.RequestError, is_message: bool) -> GatewayError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, _CLIENT_BUG):
        return PermanentGatewayError(f"request could not be sent: {detail}")
    if isinstance(exc, _NEVER_SENT) or not is_message:
        return TransientGatewayError(f"Blip unreachable: {detail}")
    return UnknownOutcomeError(f"message may have been delivered, answer lost: {detail}")


def _raise_for_status(response: httpx.Response, is_message: bool) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    description, code = _lime_reason(_json_or_none(response))
    if description is None and response.content:
        description = response.text.strip()[:200] or None
    reason = f"HTTP {status}: {description}" if description else f"HTTP {status}"
    if status in (401, 403):
        reason = f"{reason} (Blip refused the API key)"
    # A gateway timeout means an intermediary forwarded the message and then lost the answer.
    if status == 504 and is_message:
        raise UnknownOutcomeError(reason, status_code=status, code=code)
    if status in (408, 429) or status >= 500:
        retry_after = _retry_after(response.headers.get("Retry-After"))
        raise TransientGatewayError(reason, retry_after=retry_after, status_code=status, code=code)
    raise PermanentGatewayError(reason, status_code=status, code=code)


def _raise_failure(body: dict[str, Any], status_code: int) -> None:
    description, code = _lime_reason(body)
    reason = description or "Blip reported a failure without a description"
    if code is not None:
        reason = f"{reason} (code {code})"
    raise PermanentGatewayError(reason, status_code=status_code, code=code)


def _lime_reason(body: Any) -> tuple[str | None, int | None]:
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, dict):
        return None, None
    description, code = reason.get("description"), reason.get("code")
    valid_code = isinstance(code, int) and not isinstance(code, bool)
    return (str(description) if description else None), (code if valid_code else None)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header, which may be a number or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _require_node(value: str, name: str) -> None:
    if not value or "@" not in value or _URI_BREAKERS.search(value):
        raise ValueError(f"{name} must be a Blip node such as 5511...@wa.gw.msging.net: {value!r}")


def _param(value: Any) -> str:
    # WhatsApp rejects empty parameters, and str(None) would send the word "None" to a customer.
    if not isinstance(value, str) or not value:
        raise ValueError(f"template parameters must be non-empty strings, got {value!r}")
    return value


def _header_parameter(header: dict[str, Any]) -> dict[str, Any]:
    kind = header.get("type")
    if kind == "text":
        return {"type": "text", "text": _param(header.get("text"))}
    if kind not in _MEDIA_HEADERS:
        raise ValueError(f"unknown template header type {kind!r}")
    media: dict[str, Any] = {"link": _param(header.get("link"))}
    if kind == "document" and header.get("filename"):
        media["filename"] = header["filename"]
    return {"type": kind, kind: media}
