import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from bots.errors import error_codes
from desk.models import Attendant, RuleCondition, Team, TeamMembership, Ticket
from desk.services import attendant_change_status, attendant_set_teams
from tests.bots.factories import BotFactory, ContactFactory
from tests.desk.factories import (
    AttendanceRuleFactory,
    AttendantFactory,
    ReplyDirectiveFactory,
    RuleConditionFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def assert_db_refuses(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_default_team_appears_when_desk_is_switched_on():
    bot = BotFactory(desk_enabled=False)
    assert not Team.objects.filter(bot=bot).exists()
    bot.desk_enabled = True
    bot.save()
    assert Team.objects.filter(bot=bot, name="Default").count() == 1
    bot.save()
    assert Team.objects.filter(bot=bot, name="Default").count() == 1


def test_team_name_unique_per_bot_ignoring_case():
    team = TeamFactory(name="Vendas")
    assert_db_refuses(lambda: Team.objects.create(bot=team.bot, name="vendas"))


def test_attendant_email_unique_per_bot_ignoring_case_and_stored_lowercase():
    attendant = AttendantFactory(email="Ana@Example.com")
    assert attendant.email == "ana@example.com"
    assert_db_refuses(
        lambda: Attendant.objects.bulk_create(
            [Attendant(bot=attendant.bot, email="ANA@example.com")]
        )
    )
    AttendantFactory(email="ana@example.com")  # another bot: fine


def test_attendant_teams_must_belong_to_its_bot():
    attendant = AttendantFactory(teams=[])
    foreign = TeamFactory()
    with pytest.raises(ValidationError) as error:
        attendant_set_teams(attendant=attendant, teams=[foreign])
    assert "team_other_bot" in error_codes(error.value)
    with pytest.raises(ValidationError):
        TeamMembership(attendant=attendant, team=foreign).full_clean()


def test_attendant_set_teams_replaces_the_set():
    attendant = AttendantFactory(teams=[])
    a, b = TeamFactory(bot=attendant.bot), TeamFactory(bot=attendant.bot)
    attendant_set_teams(attendant=attendant, teams=[a])
    attendant_set_teams(attendant=attendant, teams=[b])
    assert list(attendant.teams.all()) == [b]


def test_attendant_status_values_and_slots_are_checked():
    attendant = AttendantFactory()
    assert_db_refuses(lambda: Attendant.objects.filter(pk=attendant.pk).update(status="busy"))
    assert_db_refuses(lambda: Attendant.objects.filter(pk=attendant.pk).update(slots=0))
    with pytest.raises(ValidationError):
        attendant_change_status(attendant=attendant, status="busy")
    attendant_change_status(attendant=attendant, status=Attendant.Status.PAUSE)
    assert attendant.status == "pause" and attendant.status_changed_at


def test_routers_have_no_desk_of_their_own():
    router = BotFactory(as_router=True)
    with pytest.raises(ValidationError) as error:
        Team(bot=router, name="X").full_clean()
    assert "team_on_router" in error_codes(error.value)
    with pytest.raises(ValidationError) as error:
        Attendant(bot=router, email="a@example.com").full_clean()
    assert "attendant_on_router" in error_codes(error.value)


def test_rule_priority_unique_and_team_of_same_bot():
    rule = AttendanceRuleFactory(priority=1)
    assert_db_refuses(lambda: AttendanceRuleFactory(bot=rule.bot, priority=1))
    other = AttendanceRuleFactory.build(bot=rule.bot, priority=2, team=TeamFactory())
    with pytest.raises(ValidationError) as error:
        other.full_clean()
    assert "team_other_bot" in error_codes(error.value)


def test_condition_on_extras_needs_a_key_and_values():
    assert_db_refuses(lambda: RuleConditionFactory(source="extra", extra_key=""))
    condition = RuleConditionFactory.build(values=["  "])
    with pytest.raises(ValidationError) as error:
        condition.full_clean()
    assert "values_empty" in error_codes(error.value)
    with pytest.raises(ValidationError):
        RuleConditionFactory.build(relation="starts_with").full_clean()
    assert RuleCondition.Relation.NOT_CONTAINS == "not_contains"


def test_directive_targets_one_of_team_or_attendant_and_ends_after_start():
    directive = ReplyDirectiveFactory()
    assert_db_refuses(lambda: ReplyDirectiveFactory(contact=ContactFactory(), team=TeamFactory()))
    assert_db_refuses(
        lambda: ReplyDirectiveFactory(valid_until=directive.sent_at, contact=ContactFactory())
    )


def test_only_one_current_directive_per_contact():
    first = ReplyDirectiveFactory()
    assert_db_refuses(
        lambda: ReplyDirectiveFactory(contact=first.contact, attendant=first.attendant)
    )
    first.superseded = True
    first.save()
    ReplyDirectiveFactory(contact=first.contact, attendant=first.attendant)


def test_one_active_ticket_per_contact_and_sequence_unique_per_bot():
    ticket = TicketFactory()
    assert_db_refuses(lambda: TicketFactory(bot=ticket.bot, contact=ticket.contact))
    assert_db_refuses(lambda: TicketFactory(bot=ticket.bot, sequence=ticket.sequence))
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED_BY_CLIENT)
    TicketFactory(bot=ticket.bot, contact=ticket.contact)


def test_open_ticket_needs_an_attendant():
    ticket = TicketFactory()
    assert_db_refuses(lambda: Ticket.objects.filter(pk=ticket.pk).update(status="open"))


@pytest.mark.parametrize(
    ("old", "new", "legal"),
    [
        ("waiting", "open", True),
        ("waiting", "transferred", True),
        ("open", "closed_attendant", True),
        ("open", "closed_client", True),
        ("open", "waiting", False),
        ("closed_attendant", "open", False),
        ("transferred", "open", False),
    ],
)
def test_ticket_transitions(old, new, legal):
    assert Ticket.can_move(old, new) is legal


def test_ticket_team_and_attendants_of_its_bot():
    ticket = TicketFactory.build(team=TeamFactory(), attendant=AttendantFactory())
    ticket.bot = BotFactory()
    with pytest.raises(ValidationError) as error:
        ticket.clean()
    assert {"team_other_bot", "attendant_other_bot"} <= error_codes(error.value)
