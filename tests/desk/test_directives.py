import datetime as dt

import pytest

from desk.models import ReplyDirective
from desk.services import directive_create, directives_create_many
from tests.bots.factories import ContactFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_R11_directive_is_valid_for_24_hours_after_the_send():
    attendant = AttendantFactory()
    contact = ContactFactory(bot=attendant.bot)
    directive = directive_create(
        contact=contact, bot=attendant.bot, sent_at=T0, source_label="C1", attendant=attendant
    )
    assert directive.valid_until == T0 + dt.timedelta(hours=24)


def test_R12_a_later_send_replaces_the_earlier_directive():
    attendant = AttendantFactory()
    team = TeamFactory(bot=attendant.bot)
    contact = ContactFactory(bot=attendant.bot)
    first = directive_create(
        contact=contact, bot=attendant.bot, sent_at=T0, source_label="C1", attendant=attendant
    )
    second = directive_create(
        contact=contact,
        bot=attendant.bot,
        sent_at=T0 + dt.timedelta(hours=3),
        source_label="C2",
        team=team,
    )
    first.refresh_from_db()
    assert first.superseded and not second.superseded
    assert ReplyDirective.objects.get(contact=contact, superseded=False) == second


def test_R12_directives_create_many_supersedes_and_keeps_one_current_per_contact():
    attendant = AttendantFactory()
    bot = attendant.bot
    old, fresh = ContactFactory(bot=bot), ContactFactory(bot=bot)
    earlier = directive_create(
        contact=old, bot=bot, sent_at=T0, source_label="C1", attendant=attendant
    )
    later = T0 + dt.timedelta(hours=2)
    created = directives_create_many(
        # ``fresh`` twice: its last send wins, and the unique index is never hit.
        sends=[(old, later), (fresh, T0), (fresh, later)],
        bot=bot,
        source_label="C2",
        source_id=7,
        attendant=attendant,
    )
    assert len(created) == 2
    earlier.refresh_from_db()
    assert earlier.superseded
    for contact in (old, fresh):
        current = ReplyDirective.objects.get(contact=contact, superseded=False)
        assert (current.source_id, current.attendant, current.sent_at) == (7, attendant, later)
        assert current.valid_until == later + dt.timedelta(hours=24)
    assert directives_create_many(sends=[], bot=bot, source_label="C3", team=None) == []
