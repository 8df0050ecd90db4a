"""The attendant's status timer, built by a tag, prints what the template partial printed."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from desk.models import Attendant, PauseReason
from desk.templatetags.desk_status import status_timer

# desk/_status_timer.html as it was before the tag.
PARTIAL = (
    "{% load i18n %}{% if person.status_changed_at and person.status != 'offline' %}"
    '<span class="status-timer" data-testid="status-timer"'
    " data-since=\"{{ person.status_changed_at|date:'c' }}\""
    " title=\"{% translate 'Time in this status' %}\">{% if person.status == 'pause' %}"
    "{% if person.pause_reason %}{{ person.pause_reason.name }}{% else %}"
    "{% translate 'Pause' %}{% endif %} · {% endif %}"
    "<time>{{ person.status_changed_at|timesince }}</time></span>{% endif %}"
)

S = Attendant.Status


@pytest.mark.parametrize(
    ("status", "reason", "minutes"),
    [
        (S.ONLINE, None, 5),
        (S.PAUSE, "Almoço & café", 75),
        (S.PAUSE, None, 12),
        (S.OFFLINE, None, 3),
        (S.ONLINE, None, None),
    ],
)
def test_the_tag_prints_what_the_partial_printed(status, reason, minutes):
    person = Attendant(status=status, email="ana@example.com")
    if reason:
        person.pause_reason = PauseReason(name=reason)
    if minutes is not None:
        person.status_changed_at = timezone.now() - dt.timedelta(minutes=minutes)
    expected = Template(PARTIAL).render(Context({"person": person}))
    assert status_timer(person) == expected
