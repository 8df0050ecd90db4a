"""Absences (R23): who is away on a given day, and who receives what was meant for them."""

import datetime as dt

from django.db.models import QuerySet

from desk.models import Attendant, AttendantAbsence


def absence_on(*, attendant: Attendant, day: dt.date) -> AttendantAbsence | None:
    """The attendant's absence covering ``day`` (the latest starting one), or None."""
    return (
        AttendantAbsence.objects.filter(attendant=attendant, starts_on__lte=day, ends_on__gte=day)
        .select_related("substitute")
        .order_by("-starts_on", "-pk")
        .first()
    )


def absences_on(*, attendants: QuerySet[Attendant] | list, day: dt.date) -> dict:
    """Attendant id → their absence covering ``day``, for a whole list at once (step 3's list)."""
    rows = (
        AttendantAbsence.objects.filter(
            attendant__in=attendants, starts_on__lte=day, ends_on__gte=day
        )
        .select_related("substitute")
        .order_by("starts_on", "pk")
    )
    return {row.attendant_id: row for row in rows}
