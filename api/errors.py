"""Every API error as JSON ``{code, message, field, errors}``, in the request's language.

``code`` is stable: the rule codes of campaigns.validation (R5_…, R6_…) and the wizard's, or the
API's own (api_key_invalid, rate_limited…). ``message`` follows Accept-Language (pt-BR default).
``errors`` lists every problem when there are several; the top-level fields repeat the first.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

# Service field names → the API's field paths.
FIELD_PATHS = {
    "routing": "routing.type",
    "routing_bot": "routing.bot",
    "flow_block": "routing.flow_block",
    "team": "routing.team",
    "attendant_email": "routing.attendant_email",
    "fallback": "routing.fallback_minutes",
    "fallback_minutes": "routing.fallback_minutes",
    "audience": "phone",
    "__all__": None,
}


class ApiError(exceptions.APIException):
    """An error the API raises itself, with its code, field and status."""

    def __init__(self, message, *, code: str, field: str | None = None, status_code: int = 422):
        super().__init__(message, code)
        self.code, self.field, self.status_code = code, field, status_code


def item(code: str, message, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": str(message), "field": field, **extra}


def body(items: list[dict], **extra) -> dict:
    return {**items[0], "errors": items, **extra}


def django_error_items(error: DjangoValidationError, *, prefix: str = "") -> list[dict]:
    """One item per message of a service's ValidationError, fields mapped to the API's."""
    by_field = error.error_dict if hasattr(error, "error_dict") else {"__all__": error.error_list}
    items = []
    for name, errors in by_field.items():
        path = FIELD_PATHS.get(name, name)
        field = f"{prefix}{path}" if path and prefix else path
        for one in errors:
            index = (one.params or {}).get("index")
            for message in one:
                if index is None:
                    items.append(item(one.code or "invalid", message, field))
                else:  # a bulk row's error
                    items.append(item(one.code, message, f"{field}[{index}]", index=index))
    return items


def _drf_items(detail, path: str = "") -> list[dict]:
    if isinstance(detail, dict):
        return [i for key, value in detail.items() for i in _drf_items(value, _join(path, key))]
    if isinstance(detail, list):
        if all(isinstance(v, exceptions.ErrorDetail) for v in detail):
            return [item(v.code or "invalid", v, path or None) for v in detail]
        return [i for n, value in enumerate(detail) for i in _drf_items(value, _join(path, n))]
    return [item(getattr(detail, "code", "invalid") or "invalid", detail, path or None)]


def _join(path: str, key) -> str:
    if key == "non_field_errors":
        return path
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


_CODES = {
    exceptions.NotAuthenticated: "api_key_missing",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_json",
    exceptions.Throttled: "rate_limited",
    exceptions.PermissionDenied: "forbidden",
}


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found (or not of this API key's bot)."))
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(body(django_error_items(exc)), status=422)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler logs it, the client gets no stack trace
    if isinstance(exc, ApiError):
        data = body([item(exc.code, exc.detail, exc.field)])
    elif isinstance(exc, exceptions.ValidationError):
        data = body(_drf_items(exc.detail) or [item("invalid", _("Invalid input."))])
    elif isinstance(exc, exceptions.Throttled):
        message = _("Too many requests for this API key: try again in %(seconds)d s.") % {
            "seconds": exc.wait or 1
        }
        data = body([item("rate_limited", message)])
    else:
        code = _CODES.get(type(exc)) or getattr(exc.detail, "code", None) or "error"
        data = body([item(code, exc.detail)])
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, int(exc.wait)))
    set_rollback()
    return Response(data, status=exc.status_code, headers=headers)


HTTP_422 = status.HTTP_422_UNPROCESSABLE_ENTITY


@csrf_exempt  # key-authenticated API: no cookie, so no CSRF token either
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other address under /api/v1/: JSON like every other API error."""
    message = _("No such API endpoint: see /api/v1/docs.")
    return JsonResponse(body([item("not_found", message)]), status=404)
