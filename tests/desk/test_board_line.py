"""A waiting line printed by the board_line tag is what the board's template printed."""

import pytest
from django.template import Context, Template
from django.utils import timezone

from desk.selectors import BoardLine
from desk.templatetags.desk_board import board_line

# The line as _supervisor_board.html printed it before the tag.
LINE = """<li data-testid="waiting-ticket" data-ticket="{{ t.pk }}">
          <a href="{{ t.url }}"><strong>#{{ t.sequence }}</strong> {{ t.who }}</a>{% if t.phone is not None %} <span class="muted nowrap">{{ t.phone }}</span>{% endif %}
          {% if t.for_whom %}<span class="status-badge {% if t.for_online %}ok{% else %}warn{% endif %}">{{ t.for_whom }}</span>{% endif %}
          <span class="muted">{{ t.waiting }}</span>
        </li>"""  # noqa: E501


@pytest.mark.parametrize(
    ("who", "phone", "for_whom", "for_online"),
    [
        ("Caio & <Bia>", "+55 11 98765-4321", "para Ana · Online", True),
        ("+55 11 98765-4321", None, "", False),
        ("Caio", "", "para Bia · Pausa", False),
    ],
)
def test_the_tag_prints_what_the_template_printed(who, phone, for_whom, for_online):
    line = BoardLine(
        pk=12,
        sequence=1234,
        team_id=1,
        created_at=timezone.now(),
        requested_attendant_id=None,
        url="/desk/loja/tickets/12/",
        who=who,
        phone=phone,
        for_whom=for_whom,
        for_online=for_online,
        waiting="aguardando há 3 min",
    )
    assert board_line(line) == Template(LINE).render(Context({"t": line}))
