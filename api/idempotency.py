"""``Idempotency-Key`` on every POST: a retry gets the first answer and nothing happens twice.

The record is created (committed) first; the request then runs inside a transaction that holds
the record's row lock and stores the answer in the same commit as the request's own writes. A
concurrent retry waits on that lock and replays the stored answer; a request that died before
committing left nothing behind, so its retry simply runs. On SQLite, whose transactions are
serialised anyway (BEGIN IMMEDIATE), the lock is a no-op and the outcome is the same.
"""

import datetime as dt
import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.errors import ApiError
from api.models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_REUSED = "idempotency_key_reused"
KEY_INVALID = "idempotency_key_invalid"
MAX_KEY_LENGTH = 255
RETENTION = dt.timedelta(hours=24)

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description=_(
        "Any unique string (a UUID) per operation. A retry with the same key and body gets the "
        "first answer and never sends twice; the same key with another body is refused (422). "
        "Keys are remembered for 24 hours."
    ),
)


def fingerprint(*, method: str, path: str, data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def record_begin(*, api_key: ApiKey, key: str, fingerprint: str, method: str, path: str):
    """The record of ``key`` (created now, or the first request's), committed at once."""
    fields = {"fingerprint": fingerprint, "method": method, "path": path[:300]}
    try:
        record, _created = IdempotencyRecord.objects.get_or_create(
            api_key=api_key, key=key, defaults=fields
        )
    except IntegrityError:  # created by a concurrent request between the get and the insert
        record = IdempotencyRecord.objects.get(api_key=api_key, key=key)
    return record


def record_finish(*, record: IdempotencyRecord, response: Response) -> None:
    body = json.loads(JSONRenderer().render(response.data) or b"null")
    IdempotencyRecord.objects.filter(pk=record.pk, status=IdempotencyRecord.Status.STARTED).update(
        status=IdempotencyRecord.Status.DONE,
        response_status=response.status_code,
        response_body=body,
        completed_at=timezone.now(),
    )


def records_remove_expired(*, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _replay(record: IdempotencyRecord) -> Response:
    return Response(
        record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"}
    )


def idempotent(handler):
    """Decorate a POST handler of an APIView (after authentication and the rate limit)."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                _("The Idempotency-Key must have 1 to 255 characters."),
                code=KEY_INVALID,
                field=HEADER,
                status_code=400,
            )
        print_ = fingerprint(method=request.method, path=request.path, data=request.data)
        record = record_begin(
            api_key=request.auth,
            key=key,
            fingerprint=print_,
            method=request.method,
            path=request.path,
        )
        if record.fingerprint != print_:
            raise ApiError(
                _("This Idempotency-Key was already used for another request."),
                code=KEY_REUSED,
                field=HEADER,
            )
        with transaction.atomic():
            record = IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
            if record.status == IdempotencyRecord.Status.DONE:
                return _replay(record)
            try:
                with transaction.atomic():
                    response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # mapped as DRF would map it, then remembered
                response = view.handle_exception(exc)
            if response.status_code < 500:
                record_finish(record=record, response=response)
        return response

    return wrapper
