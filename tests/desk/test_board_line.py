"""The board's rows printed by tags are what the board's template printed."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.translation import override

from bots.labels import label_of
from bots.models import Bot
from desk.models import Attendant, AttendantAbsence
from desk.selectors import BoardLine
from desk.templatetags.desk_board import board_attendant, board_line

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


ROW = (
    "{% load i18n portal_format desk_status %}"
    + """<tr data-testid="attendant-row" data-attendant="{{ a.pk }}" data-status="{{ a.status }}" data-unanswered="{{ a.unanswered }}">
        <td>{% firstof a.name a.email %}<br><span class="muted">{{ a.bot|bot_label }}</span>
          {% if a.absence_today %}<br><span class="status-badge warn" data-testid="absent">{% blocktranslate with until=a.absence_today.ends_on|date:"SHORT_DATE_FORMAT" %}absent until {{ until }}{% endblocktranslate %}</span>{% endif %}</td>
        <td><span class="status-badge {% if a.status == 'online' %}ok{% elif a.status == 'offline' %}bad{% else %}warn{% endif %}" data-testid="attendant-status">{{ a.status_label }}</span>
          {% status_timer a %}</td>
        <td data-testid="load"><strong>{{ a.open_count }}</strong> / {{ a.slots }}</td>
        <td>{% if a.unanswered %}<span class="status-badge bad" data-testid="unanswered-flag" title="{% translate 'Customers waiting too long for this attendant’s answer' %}">⚑ {{ a.unanswered }}</span>{% else %}<span class="muted">—</span>{% endif %}</td>
      </tr>"""  # noqa: E501
)


@pytest.mark.parametrize(
    ("status", "name", "absent", "unanswered", "changed"),
    [
        ("online", "Ana & Bia", False, 0, True),
        ("offline", "", True, 2, False),
        ("pause", "Caio", True, 1, True),
    ],
)
@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_an_attendant_row_prints_what_the_template_printed(
    status, name, absent, unanswered, changed, language
):
    bot = Bot(name="Vendas", router=Bot(name="Loja"))
    person = Attendant(pk=7, bot=bot, email="ana@example.com", name=name, status=status, slots=3)
    person.status_label = label_of(Attendant.Status, status)
    person.absence_today = AttendantAbsence(ends_on=dt.date(2026, 12, 24)) if absent else None
    person.open_count, person.unanswered = 2, unanswered
    if changed:
        person.status_changed_at = timezone.now() - dt.timedelta(minutes=80)
    with override(language):
        assert board_attendant(person) == Template(ROW).render(Context({"a": person}))
