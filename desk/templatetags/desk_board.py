"""A waiting ticket's line on the supervisor board, printed in one tag.

The board shows ~100 of them every four seconds; as template markup each line resolved eight
variables and three conditions (~260 Python calls a line, a quarter of the page). Same HTML.
"""

from django import template
from django.utils.html import format_html

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
