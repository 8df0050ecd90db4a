"""Cancel, reschedule and duplicate: confirmation, re-validation (R5, R15), prefilled wizard."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bots.errors import error_codes
from campaigns.controls import NOT_SCHEDULED, campaign_reschedule
from campaigns.models import Campaign, Recipient
from campaigns.sending.scheduling import campaigns_dispatch_due
from campaigns.validation import R5_ATTENDANT_NOT_IN_TEAM, SCHEDULE_IN_PAST
from desk.models import TeamMembership
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory
from tests.campaigns.test_views import member
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db
LOCAL = "%Y-%m-%d"


def scheduled_attendant_campaign(**fields) -> Campaign:
    """An individual campaign to Ana, scheduled in an hour: the wizard's R4–R9 all hold."""
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    ana = AttendantFactory(bot=bot, teams=[team], email="ana@example.com")
    campaign = CampaignFactory(
        bot=bot,
        routing=Campaign.Routing.ATTENDANT,
        flow_block=FlowBlockFactory(bot=bot, human=True),
        attendant_email=ana.email,
        attendant=ana,
        status=Campaign.Status.SCHEDULED,
        scheduled_at=timezone.now() + dt.timedelta(hours=1),
        audience_size=1,
        **fields,
    )
    RecipientFactory(campaign=campaign, contact=ContactFactory(bot=bot, phone="+5511977771234"))
    campaign.ana, campaign.team_ = ana, team
    return campaign


def form_data(moment: dt.datetime) -> dict:
    local = timezone.localtime(moment)
    return {"date": local.strftime(LOCAL), "time": local.strftime("%H:%M")}


# --- reschedule ------------------------------------------------------------------------------


def test_reschedule_moves_the_time_in_the_operators_time_zone(client):
    campaign = scheduled_attendant_campaign()
    member(client, campaign.bot)
    url = reverse("campaigns:reschedule", args=[campaign.pk])
    page = client.get(url).content.decode()
    local = timezone.localtime(campaign.scheduled_at)
    assert f'value="{local.strftime("%H:%M")}"' in page  # the current time, prefilled
    response = client.post(url, {"date": "2031-01-02", "time": "09:30"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert timezone.localtime(campaign.scheduled_at).strftime("%d/%m/%Y %H:%M") == (
        "02/01/2031 09:30"
    )
    assert campaign.status == Campaign.Status.SCHEDULED


def test_reschedule_into_the_past_is_refused(client):
    campaign = scheduled_attendant_campaign()
    with pytest.raises(ValidationError) as refused:
        campaign_reschedule(
            campaign=campaign, scheduled_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert error_codes(refused.value) == {SCHEDULE_IN_PAST}


def test_R5_reschedule_checks_the_campaign_again(client):
    campaign = scheduled_attendant_campaign()
    TeamMembership.objects.filter(attendant=campaign.ana).delete()
    member(client, campaign.bot)
    before = campaign.scheduled_at
    response = client.post(
        reverse("campaigns:reschedule", args=[campaign.pk]),
        form_data(timezone.now() + dt.timedelta(days=1)),
    )
    assert response.status_code == 200
    codes = {e.code for e in response.context["form"].non_field_errors().as_data()}
    assert R5_ATTENDANT_NOT_IN_TEAM in codes
    campaign.refresh_from_db()
    assert campaign.scheduled_at == before


def test_R15_a_rescheduled_campaign_is_checked_again_at_dispatch():
    campaign = scheduled_attendant_campaign()
    campaign_reschedule(campaign=campaign, scheduled_at=timezone.now() + dt.timedelta(minutes=1))
    TeamMembership.objects.filter(attendant=campaign.ana).delete()  # Ana left meanwhile
    assert campaigns_dispatch_due(now=timezone.now() + dt.timedelta(minutes=2)) == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.failure_code == R5_ATTENDANT_NOT_IN_TEAM
    assert not Recipient.objects.filter(campaign=campaign, sent_at__isnull=False).exists()


def test_a_campaign_that_already_went_out_cannot_be_rescheduled():
    campaign = scheduled_attendant_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    # The operator's page was read before the dispatch: the compare-and-set still refuses.
    with pytest.raises(ValidationError) as refused:
        campaign_reschedule(campaign=campaign, scheduled_at=timezone.now() + dt.timedelta(hours=2))
    assert error_codes(refused.value) == {NOT_SCHEDULED}
    campaign.refresh_from_db()
    with pytest.raises(ValidationError):
        campaign_reschedule(campaign=campaign, scheduled_at=timezone.now() + dt.timedelta(hours=2))


def test_reschedule_form_without_a_time_is_refused(client):
    campaign = scheduled_attendant_campaign()
    member(client, campaign.bot)
    response = client.post(
        reverse("campaigns:reschedule", args=[campaign.pk]), {"date": "2031-01-02"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["time"].as_data()[0].code == "required"


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_asks_for_confirmation_before_canceling(client):
    campaign = scheduled_attendant_campaign()
    member(client, campaign.bot)
    url = reverse("campaigns:cancel", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'id="confirm-cancel"' in page
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED  # looking did nothing
    assert client.post(url).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELED
    assert set(campaign.recipients.values_list("failure_code", flat=True)) == {"canceled"}
    assert campaigns_dispatch_due(now=timezone.now() + dt.timedelta(days=1)) == []


def test_detail_offers_the_controls_of_a_scheduled_campaign(client):
    campaign = scheduled_attendant_campaign()
    member(client, campaign.bot)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    for control in ("reschedule-campaign", "cancel-scheduled", "duplicate-campaign", "open-report"):
        assert f'id="{control}"' in page
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="reschedule-campaign"' not in page and 'id="duplicate-campaign"' in page


def test_controls_of_another_bots_campaign_are_not_found(client):
    campaign = scheduled_attendant_campaign()
    member(client, BotFactory())
    for name in ("cancel", "reschedule", "duplicate"):
        assert client.get(reverse(f"campaigns:{name}", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("campaigns:cancel", args=[campaign.pk])).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED


# --- duplicate -------------------------------------------------------------------------------


def test_duplicate_opens_the_wizard_prefilled_with_audience_template_and_routing(client):
    campaign = scheduled_attendant_campaign()
    member(client, campaign.bot)
    response = client.get(reverse("campaigns:duplicate", args=[campaign.pk]), follow=True)
    form = response.context["form"]
    assert form.initial["kind"] == Campaign.Kind.INDIVIDUAL
    assert form.initial["phone"] == "+5511977771234"
    assert campaign.name in form.initial["name"]
    wizard = response.context["view"]
    initial = wizard.storage.extra_data["duplicate"]
    assert initial["content"]["template"] == campaign.template_id
    assert initial["content"]["var_1"] == "Ana"
    assert initial["routing"] == {
        "routing": "attendant",
        "routing_bot": campaign.routing_bot_id,
        "human_block": campaign.flow_block_id,
        "attendant_email": "ana@example.com",
    }


def test_duplicate_of_a_team_bulk_campaign_keeps_the_routing_not_the_file(client):
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    campaign = CampaignFactory(
        bot=bot, bulk=True, routing=Campaign.Routing.TEAM, team=team, flow_block=None
    )
    member(client, bot)
    response = client.get(reverse("campaigns:duplicate", args=[campaign.pk]), follow=True)
    initial = response.context["view"].storage.extra_data["duplicate"]
    assert initial["audience"]["kind"] == Campaign.Kind.BULK and "phone" not in initial["audience"]
    assert initial["content"]["var_1"] == "nome"  # the CSV column it read
    assert initial["routing"]["team"] == team.pk


def test_a_plain_new_wizard_is_not_prefilled(client):
    campaign = scheduled_attendant_campaign()
    member(client, campaign.bot)
    client.get(reverse("campaigns:duplicate", args=[campaign.pk]), follow=True)
    response = client.get(reverse("campaigns:new"))
    assert "phone" not in response.context["form"].initial
