"""Numbers of the campaign report as an operator reads them: rates and durations."""

import datetime as dt

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.125 → "12,5%" (in pt-BR); "—" when there is no rate."""
    if value is None or value == "":
        return "—"
    return f"{number_format(float(value) * 100, decimal_pos=1)}%"


@register.filter
def rate(part, whole) -> str:
    """``part`` of ``whole`` as a percentage; "—" when the whole is zero."""
    try:
        return percent(part / whole) if whole else "—"
    except TypeError:
        return "—"


@register.filter
def duration_short(value) -> str:
    """Seconds (or a timedelta) as "45 s", "12 min", "3 h 05 min", "2 d 4 h"."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
