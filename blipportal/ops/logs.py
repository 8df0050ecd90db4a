"""Structured logs: one JSON object per line carrying the request id and the bot, campaign and
ticket in play, in the web processes and in the Celery workers alike.

A request gets its id from a sane ``X-Request-ID`` (set by the proxy in front) or a new one, and
answers with it; the ids in the URL (``bot_slug``, a campaign's or a ticket's ``pk``) join the
context. A task enqueued during a request carries the id in its message headers, so the worker's
lines share it; the task's own ``campaign_id``/``ticket_id``/``bot_id`` arguments join too. Any
log call may still pass ``extra={"ticket": …}`` itself.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun
from pythonjsonlogger.json import JsonFormatter

FIELDS = ("request_id", "bot", "campaign", "ticket")
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def current() -> dict:
    return dict(_context.get() or {})


def bind(**values) -> None:
    """Add ``values`` (the empty ones left out) to what every log line of this context carries."""
    _context.set({**current(), **{k: str(v) for k, v in values.items() if v not in (None, "")}})


class ContextFilter(logging.Filter):
    """Puts the context's fields on each record (a field given with ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name, ""))
        return True


class Formatter(JsonFormatter):
    """python-json-logger with this project's field names."""

    def __init__(self, *args, **kwargs) -> None:
        fields = "%(asctime)s %(levelname)s %(name)s %(message)s " + " ".join(
            f"%({name})s" for name in FIELDS
        )
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        super().__init__(fields, *args, **kwargs)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _context.set({"request_id": request_id})
        try:
            response = self.get_response(request)
        finally:
            _context.reset(token)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = (match.url_name or "") if match else ""
        values = {"bot": view_kwargs.get("bot_slug")}
        pk = view_kwargs.get("pk")
        if pk is not None and "ticket" in name:
            values["ticket"] = pk
        elif pk is not None and ("campaign" in name or (match and match.namespace == "campaigns")):
            values["campaign"] = pk
        bind(**values)


@before_task_publish.connect(dispatch_uid="blipportal_log_request_id")
def _carry_request_id(headers=None, **kwargs) -> None:
    request_id = current().get("request_id")
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@task_prerun.connect(dispatch_uid="blipportal_log_task_enter")
def _enter_task(task=None, task_id=None, kwargs=None, **extra) -> None:
    kwargs = kwargs or {}
    request_id = getattr(task.request, "request_id", None) if task is not None else None
    _context.set({})
    bind(
        request_id=request_id or task_id,
        bot=kwargs.get("bot_id"),
        campaign=kwargs.get("campaign_id"),
        ticket=kwargs.get("ticket_id"),
    )


@task_postrun.connect(dispatch_uid="blipportal_log_task_leave")
def _leave_task(**kwargs) -> None:
    _context.set({})
