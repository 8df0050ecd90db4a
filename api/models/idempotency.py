"""What the API answered to each Idempotency-Key, so that a retry gets the same answer."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from api.models.keys import ApiKey


class IdempotencyStatus(models.TextChoices):
    STARTED = "started", _("Started")
    DONE = "done", _("Done")


IDEMPOTENCY_TRANSITIONS: dict[str, frozenset[str]] = {
    IdempotencyStatus.STARTED: frozenset({IdempotencyStatus.DONE}),
    IdempotencyStatus.DONE: frozenset(),
}


class IdempotencyRecord(models.Model):
    Status = IdempotencyStatus

    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(
        _("request fingerprint"),
        max_length=64,
        help_text=_("SHA-256 of the method, path and body: a reused key must repeat them."),
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=IdempotencyStatus.choices, default="started"
    )
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"],
                name="idempotency_unique_key",
                violation_error_message=_("This idempotency key was already used."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=IdempotencyStatus.values),
                name="idempotency_status_valid",
                violation_error_message=_("Unknown idempotency status."),
            ),
            models.CheckConstraint(
                condition=Q(status="started") | Q(response_status__isnull=False),
                name="idempotency_done_has_response",
                violation_error_message=_("A finished request keeps its response."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_status_display()})"

    @staticmethod
    def can_move(old: str, new: str) -> bool:
        return new in IDEMPOTENCY_TRANSITIONS.get(old, frozenset())
