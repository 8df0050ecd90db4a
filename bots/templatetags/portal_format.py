"""How the portal shows phones, people and elapsed time to Brazilian operators and attendants.

``{% load portal_format %}``: ``{{ contact.phone|phone }}`` → ``+55 11 98765-4321``;
``{{ contact|person }}`` → the name, else the formatted phone; ``{{ moment|since }}`` → "agora",
"há 5 min", "há 2 horas"; ``{{ moment|waited }}`` → "5 min", "2 h 10 min". ``{% since_formats %}``
hands the same wording to ``desk/live.js``, which keeps such times current without a request.
"""

import datetime as dt
import json

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from bots.phones import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return format_phone(value or "")


@register.filter
def person(contact) -> str:
    """A contact as an attendant names them: their name, else their phone as people write it."""
    if contact is None:
        return ""
    return contact.name or format_phone(contact.phone)


def _minutes(value: dt.datetime | None) -> int | None:
    if not value:
        return None
    return max(0, int((timezone.now() - value).total_seconds() // 60))


@register.filter
def since(value: dt.datetime | None) -> str:
    minutes = _minutes(value)
    if minutes is None:
        return ""
    if minutes < 1:
        return _("now")
    if minutes < 60:
        return ngettext("%(n)d min ago", "%(n)d min ago", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}


@register.filter
def waited(value: dt.datetime | None) -> str:
    """How long since ``value``, compactly: "1 min", "42 min", "2 h 05 min", "3 d"."""
    minutes = _minutes(value)
    if minutes is None:
        return ""
    if minutes < 60:
        return _("%(n)d min") % {"n": max(minutes, 1)}
    if minutes < 24 * 60:
        return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(n)d d") % {"n": minutes // (24 * 60)}


@register.simple_tag
def since_formats() -> str:
    """The wordings above for the page's script, as a JSON attribute value."""
    formats = {
        "now": _("now"),
        "minAgo": [ngettext("%(n)d min ago", "%(n)d min ago", n) for n in (1, 2)],
        "hoursAgo": [ngettext("%(n)d hour ago", "%(n)d hours ago", n) for n in (1, 2)],
        "daysAgo": [ngettext("%(n)d day ago", "%(n)d days ago", n) for n in (1, 2)],
        "min": _("%(n)d min"),
        "hm": _("%(h)d h %(m)02d min"),
        "d": _("%(n)d d"),
    }
    return mark_safe(escape(json.dumps(formats)))


@register.filter
def bot_label(bot) -> str:
    """A bot as people call it: "Loja", or "Demo Router › Vendas" for a sub-bot (no slugs)."""
    if bot is None:
        return ""
    return str(bot)


def _localized(value: dt.datetime | None, english: str, portuguese: str) -> str:
    """``value`` in the reader's time zone; Portuguese writes month names in lower case."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if (get_language() or "").startswith("pt"):
        return date_format(local, portuguese).lower()
    return date_format(local, english)


@register.filter
def day_month(value: dt.datetime | None) -> str:
    """ "29 de novembro, 17:47" (pt-BR) or "November 29, 17:47"."""
    return _localized(value, "F j, H:i", r"j \d\e F, H:i")


@register.filter
def short_day(value: dt.datetime | None) -> str:
    """ "29 nov 2026" (pt-BR) or "Nov 29, 2026"."""
    return _localized(value, "M j, Y", "j M Y")
