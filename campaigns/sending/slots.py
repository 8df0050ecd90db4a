"""How a deferred send's time is shown (R26): in the reader's time zone, the time alone when it
is today, with the date on another day."""

from django.utils import formats, timezone


def slot_time(moment) -> str:
    if not moment:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "H:i")
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")
