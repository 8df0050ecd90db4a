"""The supervisor board's rows, each printed by one tag.

The board shows ~100 waiting lines and a row per attendant every four seconds; as template
markup a waiting line resolved eight variables and three conditions (~260 Python calls), an
attendant's row ~480. Same HTML (tests/desk/test_board_line.py).
"""

from django import template
from django.template.defaultfilters import date
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from bots.templatetags.portal_format import bot_label
from desk.models import Attendant
from desk.templatetags.desk_status import status_timer

register = template.Library()


@register.simple_tag
def board_line(line) -> str:
    """``line``: a desk.selectors.BoardLine."""
    phone = (
        format_html(' <span class="muted nowrap">{}</span>', line.phone)
        if line.phone is not None
        else ""
    )
    for_whom = (
        format_html(
            '<span class="status-badge {}">{}</span>',
            "ok" if line.for_online else "warn",
            line.for_whom,
        )
        if line.for_whom
        else ""
    )
    return format_html(
        '<li data-testid="waiting-ticket" data-ticket="{}">\n'
        '          <a href="{}"><strong>#{}</strong> {}</a>{}\n'
        "          {}\n"
        '          <span class="muted">{}</span>\n'
        "        </li>",
        line.pk,
        line.url,
        line.sequence,
        line.who,
        phone,
        for_whom,
        line.waiting,
    )


STATUS_BADGE = {Attendant.Status.ONLINE: "ok", Attendant.Status.OFFLINE: "bad"}


@register.simple_tag
def board_attendant(attendant) -> str:
    """An attendant's row on the board (desk.selectors.supervisor_overview's ``attendants``):
    who, absence today, status with its timer, load against slots, customers left unanswered."""
    absence = attendant.absence_today
    absent = (
        format_html(
            '<br><span class="status-badge warn" data-testid="absent">{}</span>',
            _("absent until %(until)s") % {"until": date(absence.ends_on, "SHORT_DATE_FORMAT")},
        )
        if absence
        else ""
    )
    unanswered = (
        format_html(
            '<span class="status-badge bad" data-testid="unanswered-flag" title="{}">⚑ {}</span>',
            _("Customers waiting too long for this attendant’s answer"),
            attendant.unanswered,
        )
        if attendant.unanswered
        else mark_safe('<span class="muted">—</span>')
    )
    return format_html(
        '<tr data-testid="attendant-row" data-attendant="{}" data-status="{}"'
        ' data-unanswered="{}">\n'
        '        <td>{}<br><span class="muted">{}</span>\n'
        "          {}</td>\n"
        '        <td><span class="status-badge {}" data-testid="attendant-status">{}</span>\n'
        "          {}</td>\n"
        '        <td data-testid="load"><strong>{}</strong> / {}</td>\n'
        "        <td>{}</td>\n"
        "      </tr>",
        attendant.pk,
        attendant.status,
        attendant.unanswered,
        attendant.name or attendant.email,
        bot_label(attendant.bot),
        absent,
        STATUS_BADGE.get(attendant.status, "warn"),
        attendant.status_label,
        status_timer(attendant),
        attendant.open_count,
        attendant.slots,
        unanswered,
    )
