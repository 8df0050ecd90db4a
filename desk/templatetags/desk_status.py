"""An attendant's time in their status, built in Python: the supervisor board prints one per
attendant on every refresh (every four seconds), where an {% include %} per row cost more than
the rest of the row. desk/_status_timer.html prints it too, so the HTML has one source."""

from django import template
from django.template.defaultfilters import date, timesince_filter
from django.utils.html import format_html
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from desk.models import Attendant

register = template.Library()


@register.simple_tag
def status_timer(person) -> str:
    """Since when ``person`` is in their status, and why when paused; nothing while offline."""
    since = person.status_changed_at
    if not since or person.status == Attendant.Status.OFFLINE:
        return ""
    why = ""
    if person.status == Attendant.Status.PAUSE:
        reason = person.pause_reason
        why = format_html("{} · ", reason.name if reason else _("Pause"))
    return format_html(
        '<span class="status-timer" data-testid="status-timer" data-since="{}" title="{}">'
        "{}<time>{}</time></span>",
        date(template_localtime(since), "c"),
        _("Time in this status"),
        why,
        timesince_filter(since),
    )
