"""The answer to an unhandled error: a database that is unreachable is a 503 to retry, not a 500.

Blip redelivers a webhook that did not get a 2xx, so during a database outage an inbound message
must never be acknowledged, and its sender should know that trying again later will work:
``503 Service Unavailable`` with ``Retry-After``. Anything else stays Django's plain 500 page.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 30
# Machine clients: the answer is JSON they can parse; people get a sentence.
JSON_PREFIXES = ("/webhooks/", "/api/", "/readyz", "/healthz", "/metrics")


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request, *args, **kwargs):
    """``handler500``: runs inside Django's exception handling, so the error is at hand."""
    if not database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request, *args, **kwargs)
    if request.path.startswith(JSON_PREFIXES):
        response = JsonResponse(
            {"error": "database_unavailable", "retry_after": RETRY_AFTER_SECONDS}, status=503
        )
    else:
        response = HttpResponse(
            _("The service is temporarily unavailable. Try again in a moment."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
