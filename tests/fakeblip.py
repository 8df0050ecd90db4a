"""A fake Blip HTTP API on a real loopback socket, for tests and benchmarks.

It answers just what the gateway uses (WhatsApp identity lookup, contact context commands, message
sends) and misbehaves on demand: error statuses, slow answers, dropped connections, LIME failures.
A request hit by a slow answer or a dropped connection is still processed, as on the real service,
so ``sent_message_ids()`` is what a customer would have received.

    with FakeBlip() as blip:
        client = BlipClient(blip.url, "key")
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

WA_SUFFIX = "@wa.gw.msging.net"
_ACCOUNT_URI = re.compile(r"lime://wa\.gw\.msging\.net/accounts/(?P<phone>.*)")
_CONTEXT_URI = re.compile(r"/contexts/(?P<identity>[^/]+)/(?P<name>[^/]+)")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


class RecordedRequest(NamedTuple):
    path: str
    body: Any  # parsed JSON, None when the body was not JSON
    headers: dict[str, str]  # names lower-cased


@dataclass
class _Fault:
    kind: str  # "status" | "failure" | "timeout" | "drop"
    remaining: int | None  # None: forever
    path: str | None = None
    status: int = 500
    body: Any = None
    retry_after: float | str | None = None
    seconds: float = 0.0
    reason: dict[str, Any] | None = None


@dataclass
class _Chaos:
    rng: random.Random
    error: float
    throttle: float
    drop: float
    path: str
    counts: dict[str, int] = field(default_factory=dict)

    def draw(self) -> _Fault | None:
        roll = self.rng.random()
        if roll < self.error:
            kind, fault = "error", _Fault("status", None, status=500)
        elif roll < self.error + self.throttle:
            kind, fault = "throttle", _Fault("status", None, status=429, retry_after=1)
        elif roll < self.error + self.throttle + self.drop:
            kind, fault = "drop", _Fault("drop", None)
        else:
            return None
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return fault


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False


class FakeBlip:
    def __init__(self, *, not_on_whatsapp: Iterable[str] = (), auth_key: str | None = None):
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._delivered: list[str] = []
        self._faults: list[_Fault] = []
        self._phone_rules: dict[str, _Fault] = {}
        self._not_on_whatsapp = {_digits(p) for p in not_on_whatsapp}
        self._identities: dict[str, str] = {}
        self._contexts: dict[str, dict[str, str]] = {}
        self._auth_key = auth_key
        self._connections: set[socket.socket] = set()
        self._connections_opened = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._address: tuple[str, int] | None = None
        self._chaos: _Chaos | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeBlip:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server, self._address = server, server.server_address[:2]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        # Idle keep-alive handlers block on read; shutting their sockets lets them end now.
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeBlip:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._address is None:
            raise RuntimeError("FakeBlip is not started")
        return f"http://{self._address[0]}:{self._address[1]}"

    # -- what was received -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[Any]:
        return [r.body for r in self.requests if r.path == "/messages"]

    @property
    def commands(self) -> list[Any]:
        return [r.body for r in self.requests if r.path == "/commands"]

    def sent_message_ids(self) -> list[str]:
        """Ids of the messages Blip accepted, in order, repeats kept (a repeat is a double send)."""
        with self._lock:
            return list(self._delivered)

    def context(self, identity: str) -> dict[str, str]:
        with self._lock:
            return dict(self._contexts.get(identity, {}))

    @property
    def connections_opened(self) -> int:
        with self._lock:
            return self._connections_opened

    # -- behaviour on demand -----------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, body=None, retry_after=None, *, path=None):
        """Answer ``status``; ``body`` may be a dict (sent as JSON), str or bytes."""
        self._queue(_Fault("status", n, path, status, body, retry_after))

    def failure_next(self, n: int, reason: str | dict, *, code: int = 1, path=None) -> None:
        """Answer 200 with a LIME ``failure`` envelope, as Blip does for refused commands."""
        if isinstance(reason, str):
            reason = {"code": code, "description": reason}
        self._queue(_Fault("failure", n, path, 200, reason=reason))

    def timeout_next(self, n: int, seconds: float, *, path=None) -> None:
        """Process the request, then wait ``seconds`` before answering."""
        self._queue(_Fault("timeout", n, path, seconds=seconds))

    def drop_next(self, n: int, *, path=None) -> None:
        """Process the request, then close the connection without answering."""
        self._queue(_Fault("drop", n, path))

    def fail_for_phone(
        self, phone: str, status: int = 500, body=None, retry_after=None, *, reason=None, times=None
    ) -> None:
        """Fail every request about this phone (lookup, contexts, messages); ``reason`` makes
        it a 200 LIME failure instead of an HTTP error."""
        if reason is not None:
            fault = _Fault("failure", times, reason={"code": 1, "description": reason})
        else:
            fault = _Fault("status", times, status=status, body=body, retry_after=retry_after)
        with self._lock:
            self._phone_rules[_digits(phone)] = fault

    def chaos(
        self, *, error: float, throttle: float, drop: float, seed: int = 13, path="/messages"
    ) -> None:
        """Misbehave at random on ``path``: answer 500 (``error``) or 429 with Retry-After 1
        (``throttle``) without processing, or process and then drop the answer (``drop``)."""
        with self._lock:
            self._chaos = _Chaos(random.Random(seed), error, throttle, drop, path)

    def chaos_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._chaos.counts) if self._chaos else {}

    def add_not_on_whatsapp(self, *phones: str) -> None:
        with self._lock:
            self._not_on_whatsapp.update(_digits(p) for p in phones)

    def set_identity(self, phone: str, identity: str) -> None:
        """Answer the lookup of ``phone`` with an identity other than its digits."""
        with self._lock:
            self._identities[_digits(phone)] = identity

    def set_auth_key(self, key: str | None) -> None:
        with self._lock:
            self._auth_key = key

    def _queue(self, fault: _Fault) -> None:
        if fault.remaining is None or fault.remaining < 1:
            raise ValueError("n must be >= 1")
        with self._lock:
            self._faults.append(fault)

    # -- request handling (called from handler threads) --------------------------------------

    def _handle(self, path: str, raw: bytes, headers: dict[str, str]) -> _Reply:
        body = _parse_json(raw)
        with self._lock:
            self._requests.append(RecordedRequest(path, body, headers))
            fault = self._take_fault(path, body)
            if fault is not None and fault.kind in ("status", "failure"):
                return _fault_reply(fault, body)
            if self._auth_key is not None and headers.get("authorization") != (
                f"Key {self._auth_key}"
            ):
                reply = _Reply(401)
            else:
                reply = self._answer(path, body)
        if fault is not None:
            reply.delay, reply.drop = fault.seconds, fault.kind == "drop"
        return reply

    def _take_fault(self, path: str, body: Any) -> _Fault | None:
        queued = next((f for f in self._faults if f.path in (None, path)), None)
        if queued is not None:
            if _spend(queued):
                self._faults.remove(queued)
            return queued
        if self._chaos is not None and self._chaos.path == path:
            return self._chaos.draw()
        phone = self._phone_of(body)
        rule = self._phone_rules.get(phone) if phone else None
        if rule is not None and _spend(rule):
            del self._phone_rules[phone]
        return rule

    def _phone_of(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        node = str(body.get("to") or "")
        if match := _ACCOUNT_URI.fullmatch(str(body.get("uri") or "")):
            return _digits(match["phone"])
        if match := _CONTEXT_URI.fullmatch(str(body.get("uri") or "")):
            node = match["identity"]
        for phone, identity in self._identities.items():
            if identity == node:
                return phone
        return node.removesuffix(WA_SUFFIX) if node.endswith(WA_SUFFIX) else None

    def _answer(self, path: str, body: Any) -> _Reply:
        if path == "/messages":
            if not isinstance(body, dict) or not body.get("to") or "content" not in body:
                return _json_reply(400, _failure(21, "invalid message envelope"))
            if body.get("id"):
                self._delivered.append(str(body["id"]))
            return _Reply(202)
        if path == "/commands":
            if not isinstance(body, dict) or not body.get("method") or not body.get("uri"):
                return _json_reply(400, _failure(21, "invalid command envelope"))
            return _json_reply(200, self._command(body))
        return _Reply(404)

    def _command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        envelope = {"id": cmd.get("id"), "method": cmd["method"], "from": cmd.get("to")}
        account = _ACCOUNT_URI.fullmatch(cmd["uri"])
        if account and cmd["method"] == "get" and cmd.get("to") == "postmaster" + WA_SUFFIX:
            phone = account["phone"]
            if not _E164.fullmatch(phone):
                return {**envelope, **_failure(64, f"invalid phone number {phone}")}
            if _digits(phone) in self._not_on_whatsapp:
                return {**envelope, **_failure(73, "destination not found on WhatsApp")}
            identity = self._identities.get(_digits(phone), _digits(phone) + WA_SUFFIX)
            resource = {"alternativeAccount": identity, "identity": identity, "phoneNumber": phone}
            return {**envelope, "status": "success", "resource": resource}
        context = _CONTEXT_URI.fullmatch(cmd["uri"])
        if context and cmd["method"] == "set" and isinstance(cmd.get("resource"), str):
            variables = self._contexts.setdefault(context["identity"], {})
            variables[context["name"]] = cmd["resource"]
            return {**envelope, "status": "success"}
        return {**envelope, **_failure(62, f"fake Blip does not handle {cmd['uri']}")}

    def _connection(self, conn: socket.socket, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(conn)
                self._connections_opened += 1
            else:
                self._connections.discard(conn)


def fake_blip_server() -> Iterator[FakeBlip]:
    """Body of a pytest fixture: ``fake_blip = pytest.fixture(fake_blip_server)``."""
    with FakeBlip() as fake:
        yield fake


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # concurrent benchmarks open many connections at once
    fake: FakeBlip

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is the point of several tests; only report real bugs.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Blip
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._connection(self.connection, opened=True)

    def finish(self) -> None:
        self.server.fake._connection(self.connection, opened=False)
        with contextlib.suppress(OSError):
            super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake._handle(self.path, raw, headers)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: _Reply) -> None:
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        head = [f"HTTP/1.1 {reply.status} {phrase}", f"Content-Length: {len(reply.body)}"]
        if reply.body:
            head.append(f"Content-Type: {reply.content_type}")
        if reply.retry_after is not None:
            head.append(f"Retry-After: {reply.retry_after}")
        # One write per answer: split writes meet Nagle + delayed ACK and cap us near 25 req/s.
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body
        try:
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (timeout tests)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _fault_reply(fault: _Fault, request: Any) -> _Reply:
    if fault.kind == "failure":
        request_id = request.get("id") if isinstance(request, dict) else None
        return _json_reply(200, {"id": request_id, "status": "failure", "reason": fault.reason})
    body = fault.body.encode() if isinstance(fault.body, str) else fault.body
    if body is None or isinstance(body, bytes):
        reply = _Reply(fault.status, body or b"", "text/plain; charset=utf-8")
    else:
        reply = _json_reply(fault.status, body)
    reply.retry_after = None if fault.retry_after is None else str(fault.retry_after)
    return reply


def _spend(fault: _Fault) -> bool:
    """Use one occurrence of ``fault``; True when none is left."""
    if fault.remaining is None:
        return False
    fault.remaining -= 1
    return fault.remaining == 0


def _json_reply(status: int, payload: Any) -> _Reply:
    return _Reply(status, json.dumps(payload, separators=(",", ":")).encode())


def _failure(code: int, description: str) -> dict[str, Any]:
    return {"status": "failure", "reason": {"code": code, "description": description}}


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _digits(phone: str) -> str:
    return phone.strip().removeprefix("+")
