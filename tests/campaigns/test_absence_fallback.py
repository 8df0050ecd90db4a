"""R22 (hand-over choice) and R23 (absence) at send: wizard, admin and scheduler agree (R28)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from bots.errors import error_codes
from bots.services import contact_move_to_block
from campaigns import validation as v
from campaigns.admin import CampaignAdminForm
from campaigns.audience_store import AudienceMember
from campaigns.dispatch import campaign_create
from campaigns.forms import RoutingForm
from campaigns.models import Campaign
from campaigns.sending.scheduling import campaigns_dispatch_due
from desk.inbound import inbound_receive
from desk.models import ReplyDirective, Ticket
from desk.reasons import render_reason
from tests.bots.factories import BotFactory, FlowBlockFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.desk.factories import AttendantAbsenceFactory, AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db
PHONE = "+5511977771234"
TODAY = dt.date(2025, 3, 10)
NOON = dt.datetime(2025, 3, 10, 15, 0, tzinfo=dt.UTC)  # 12:00 in São Paulo


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def desk():
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    block = FlowBlockFactory(bot=bot, human=True)
    bruno = AttendantFactory(bot=bot, email="bruno@example.com", teams=[team], offline=True)
    ana = AttendantFactory(bot=bot, email="ana@example.com", teams=[team])
    template = MessageTemplateFactory(bot=bot)
    return type(
        "Desk",
        (),
        {"bot": bot, "team": team, "block": block, "bruno": bruno, "ana": ana, "t": template},
    )


def fields(desk, email="bruno@example.com", **extra) -> dict:
    return {
        "bot": desk.bot,
        "created_by": None,
        "name": "Retomada",
        "kind": Campaign.Kind.INDIVIDUAL,
        "template": desk.t,
        "parameters": {"body": ["Carla"]},
        "routing": Campaign.Routing.ATTENDANT,
        "routing_bot": desk.bot,
        "flow_block": desk.block,
        "attendant_email": email,
        **extra,
    }


def send(desk, **extra) -> Campaign:
    return campaign_create(**fields(desk, **extra), audience=[AudienceMember(phone=PHONE)])


def refusal(desk, **extra) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        send(desk, **extra)
    return error.value


def away(desk, *, start=0, days=6, substitute=None):
    return AttendantAbsenceFactory(
        attendant=desk.bruno,
        starts_on=TODAY + dt.timedelta(days=start),
        ends_on=TODAY + dt.timedelta(days=start + days),
        substitute=substitute,
    )


def test_R23_absent_without_substitute_is_refused_naming_the_return_date(desk):
    away(desk, days=6)
    error = refusal(desk)
    assert error_codes(error) == {v.R23_ATTENDANT_ABSENT}
    (item,) = error.error_dict["attendant_email"]
    assert item.params["back"] == "17/03/2025"  # the day after the last day away, pt-BR
    assert "17/03/2025" in str(item.message % item.params)
    assert not Campaign.objects.exists()  # nothing sent, nothing scheduled


def test_R23_absence_on_other_days_does_not_matter(desk):
    away(desk, start=1)
    AttendantAbsenceFactory(
        attendant=desk.bruno,
        starts_on=TODAY - dt.timedelta(days=9),
        ends_on=TODAY - dt.timedelta(days=1),
    )
    campaign = send(desk)
    assert (campaign.attendant, campaign.absent_attendant) == (desk.bruno, None)


def test_R23_the_substitute_receives_the_reply_and_the_ticket_says_why(
    desk, django_capture_on_commit_callbacks
):
    away(desk, substitute=desk.ana)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = send(desk)
    campaign.refresh_from_db()
    assert (campaign.attendant, campaign.absent_attendant) == (desk.ana, desk.bruno)
    directive = ReplyDirective.objects.get(superseded=False)
    assert (directive.attendant, directive.meant_for) == (desk.ana, desk.bruno)
    contact_move_to_block(contact=directive.contact, bot=desk.bot, block=desk.block)
    with django_capture_on_commit_callbacks(execute=True):  # the ticket is placed on commit
        result = inbound_receive(bot=desk.bot, phone=PHONE, text="Oi!")
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.requested_attendant, ticket.meant_for, ticket.attendant) == (
        desk.ana,
        desk.bruno,
        desk.ana,
    )
    assert ticket.routing_params["meant_for"] == "bruno@example.com"
    reason = render_reason(ticket.routing_code, ticket.routing_params)
    assert "bruno@example.com" in reason and "Retomada" in reason


def test_R23_a_substitute_who_cannot_take_it_is_refused(desk):
    outsider = AttendantFactory(bot=desk.bot, email="zeca@example.com", teams=[])
    away(desk, substitute=outsider)
    assert error_codes(refusal(desk)) == {v.R23_SUBSTITUTE_UNAVAILABLE}
    outsider.delete()
    AttendantAbsenceFactory(attendant=desk.ana, starts_on=TODAY, ends_on=TODAY)
    away(desk, substitute=desk.ana)
    assert error_codes(refusal(desk)) == {v.R23_SUBSTITUTE_UNAVAILABLE}


def test_R23_a_scheduled_send_is_checked_for_its_own_day(desk):
    away(desk, start=2, days=3)
    later = NOON + dt.timedelta(days=3)
    assert error_codes(refusal(desk, scheduled_at=later)) == {v.R23_ATTENDANT_ABSENT}
    assert send(desk, scheduled_at=NOON + dt.timedelta(days=7)).status == "scheduled"


def test_R23_R15_the_scheduler_refuses_when_the_attendant_is_away_at_dispatch(desk):
    campaign = send(desk, scheduled_at=NOON + dt.timedelta(hours=2))
    assert campaign.status == "scheduled"
    away(desk, days=0)
    with time_machine.travel(NOON + dt.timedelta(hours=2, minutes=1), tick=False):
        assert campaigns_dispatch_due() == []
    campaign.refresh_from_db()
    assert (campaign.status, campaign.failure_code) == ("failed", v.R23_ATTENDANT_ABSENT)


def test_R23_R28_the_admin_refuses_with_the_same_code(desk):
    away(desk)
    data = {
        **{k: getattr(val, "pk", val) for k, val in fields(desk).items() if k != "created_by"},
        "parameters": '{"body": ["Carla"]}',
        "fallback": "wait",
    }
    form = CampaignAdminForm(data=data)
    assert not form.is_valid()
    assert form.errors.as_data()["attendant_email"][0].code == v.R23_ATTENDANT_ABSENT


def test_R22_hand_over_minutes_reach_the_directive(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = send(desk, fallback=Campaign.Fallback.TEAM, fallback_minutes=15)
    assert (campaign.fallback, campaign.fallback_minutes) == ("team", 15)
    assert ReplyDirective.objects.get(superseded=False).fallback_minutes == 15


def test_R22_wait_is_the_default_and_leaves_no_hand_over(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = send(desk)
    assert (campaign.fallback, campaign.fallback_minutes) == ("wait", None)
    assert ReplyDirective.objects.get(superseded=False).fallback_minutes is None


@pytest.mark.parametrize("minutes", [None, 0, 24 * 60 + 1])
def test_R22_hand_over_needs_minutes_within_the_directives_day(desk, minutes):
    campaign = Campaign(**fields(desk), fallback="team", fallback_minutes=minutes)
    with pytest.raises(ValidationError) as error:
        v.validate_campaign_for_send(campaign=campaign)
    assert v.R22_FALLBACK_MINUTES in error_codes(error.value)


def test_R22_only_attendant_routing_hands_over(desk):
    campaign = Campaign(
        **{**fields(desk), "routing": "team", "team": desk.team, "attendant_email": ""},
        fallback="team",
        fallback_minutes=10,
    )
    with pytest.raises(ValidationError) as error:
        v.validate_campaign_for_send(campaign=campaign)
    assert v.R22_FALLBACK_NEEDS_ATTENDANT in error_codes(error.value)


def _routing_form(desk, **data):
    base = {
        "routing-routing": "attendant",
        "routing-routing_bot": desk.bot.pk,
        "routing-human_block": desk.block.pk,
        "routing-attendant_email": "bruno@example.com",
    }
    return RoutingForm(
        data={**base, **data}, prefix="routing", bot=desk.bot, kind=Campaign.Kind.INDIVIDUAL
    )


def test_R22_step_3_asks_the_minutes_when_handing_over(desk):
    form = _routing_form(desk, **{"routing-fallback": "team"})
    assert not form.is_valid()
    assert form.errors.as_data()["fallback_minutes"][0].code == v.R22_FALLBACK_MINUTES
    form = _routing_form(desk, **{"routing-fallback": "team", "routing-fallback_minutes": "20"})
    assert form.is_valid(), form.errors
    assert form.routing_fields()["fallback"] == "team"
    assert form.routing_fields()["fallback_minutes"] == 20


def test_R22_step_3_defaults_to_wait(desk):
    form = _routing_form(desk)
    assert form.is_valid(), form.errors
    assert (form.routing_fields()["fallback"], form.routing_fields()["fallback_minutes"]) == (
        "wait",
        None,
    )


def test_today_is_the_operators_day():
    assert timezone.localdate() == TODAY
