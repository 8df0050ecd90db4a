"""A staff member of bot A sees no row of bot B anywhere in the admin, and cannot open one."""

import pytest
from django.contrib import admin
from django.urls import reverse

from bots.models import Bot
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    ContactFactory,
    FlowBlockFactory,
    MessageFactory,
    SubBotFactory,
    UserFactory,
)
from tests.campaigns.factories import (
    CampaignFactory,
    DeskSenderFactory,
    DeskSendFactory,
    DeskSendSettingsFactory,
    MessageTemplateFactory,
    RecipientFactory,
)
from tests.desk.factories import (
    AttendanceRuleFactory,
    AttendantAbsenceFactory,
    AttendantFactory,
    AttendantStatusChangeFactory,
    ClosingTagFactory,
    DeskSettingsFactory,
    InboundRoutingFactory,
    OptOutSettingsFactory,
    PauseReasonFactory,
    QuickReplyFactory,
    ReplyDirectiveFactory,
    TeamFactory,
    TicketFactory,
    TicketNoteFactory,
)

pytestmark = pytest.mark.django_db


def world(bot: Bot) -> dict:
    """One row of every admin-registered model, all belonging to ``bot``."""
    contact = ContactFactory(bot=bot)
    campaign = CampaignFactory(bot=bot)
    return {
        "bot": bot,
        "flowblock": FlowBlockFactory(bot=bot),
        "contact": contact,
        "message": MessageFactory(contact=contact),
        "team": TeamFactory(bot=bot),
        "attendant": AttendantFactory(bot=bot),
        "attendancerule": AttendanceRuleFactory(bot=bot),
        "ticket": TicketFactory(bot=bot, contact=contact),
        "replydirective": ReplyDirectiveFactory(attendant=AttendantFactory(bot=bot)),
        "messagetemplate": MessageTemplateFactory(bot=bot),
        "campaign": campaign,
        "recipient": RecipientFactory(campaign=campaign),
        "inboundrouting": InboundRoutingFactory(message=MessageFactory(contact=contact)),
        "optoutsettings": OptOutSettingsFactory(bot=bot),
        # Issue 9: the Desk's settings, statuses, absences, tags, notes and quick replies.
        "desksettings": DeskSettingsFactory(bot=bot),
        "pausereason": PauseReasonFactory(bot=bot),
        "attendantstatuschange": AttendantStatusChangeFactory(attendant=AttendantFactory(bot=bot)),
        "attendantabsence": AttendantAbsenceFactory(attendant=AttendantFactory(bot=bot)),
        "closingtag": ClosingTagFactory(bot=bot),
        "quickreply": QuickReplyFactory(bot=bot),
        "ticketnote": TicketNoteFactory(ticket=TicketFactory(bot=bot)),
        # Issue 14: who may send from the Desk, the cap, what was sent (R27).
        "desksender": DeskSenderFactory(attendant=AttendantFactory(bot=bot)),
        "desksendsettings": DeskSendSettingsFactory(bot=bot),
        "desksend": DeskSendFactory(contact=contact, campaign=campaign),
    }


@pytest.fixture
def two_bots(client):
    mine, theirs = world(BotFactory(slug="mine")), world(BotFactory(slug="theirs"))
    membership = BotMembershipFactory(bot=mine["bot"], role="admin")
    client.force_login(membership.user)
    return mine, theirs


def scoped_models():
    return [m for m in admin.site._registry if m._meta.app_label in {"bots", "desk", "campaigns"}]


def test_every_changelist_hides_the_other_bots_rows(client, two_bots):
    mine, theirs = two_bots
    checked = 0
    for model in scoped_models():
        key = model._meta.model_name
        if key not in theirs:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{key}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
        assert theirs[key].pk not in shown, key
        assert mine[key].pk in shown, key
        checked += 1
    assert checked >= 19


def test_change_pages_of_the_other_bot_are_forbidden(client, two_bots):
    _mine, theirs = two_bots
    for key, obj in theirs.items():
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code in (403, 404), key
        delete = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code in (403, 404), key
        assert type(obj).objects.filter(pk=obj.pk).exists()


def test_own_change_page_opens(client, two_bots):
    mine, _ = two_bots
    url = reverse("admin:bots_bot_change", args=[mine["bot"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert mine["bot"].webhook_secret not in response.content.decode()


def test_foreign_key_choices_are_scoped(client, two_bots):
    mine, theirs = two_bots
    response = client.get(reverse("admin:desk_attendancerule_add"))
    choices = {c for c, _ in response.context["adminform"].form.fields["team"].choices if c}
    assert str(theirs["team"].pk) not in {str(c) for c in choices}
    assert str(mine["team"].pk) in {str(c) for c in choices}


def test_router_membership_covers_the_sub_bots(client):
    sub = SubBotFactory()
    team = TeamFactory(bot=sub)
    client.force_login(BotMembershipFactory(bot=sub.router, role="admin").user)
    response = client.get(reverse("admin:desk_team_changelist"))
    assert team in response.context["cl"].queryset


def test_attendant_role_gets_no_admin(client):
    bot = BotFactory()
    client.force_login(BotMembershipFactory(bot=bot, role="attendant").user)
    assert client.get(reverse("admin:bots_bot_changelist")).status_code == 403


def test_operator_can_view_bots_but_not_change_them(client):
    bot = BotFactory()
    client.force_login(BotMembershipFactory(bot=bot, role="operator").user)
    url = reverse("admin:bots_bot_change", args=[bot.pk])
    assert client.post(url, {"slug": "hacked", "name": "x", "kind": "bot"}).status_code == 403
    bot.refresh_from_db()
    assert bot.slug != "hacked"
    assert client.get(reverse("admin:campaigns_campaign_add")).status_code == 200


def test_superuser_sees_all(client):
    bots = BotFactory.create_batch(2)
    client.force_login(UserFactory(superuser=True))
    response = client.get(reverse("admin:bots_bot_changelist"))
    assert set(bots) <= set(response.context["cl"].queryset)


def test_admin_refuses_an_R5_campaign_like_the_wizard(client):
    bot = BotFactory()
    client.force_login(UserFactory(superuser=True))
    block = FlowBlockFactory(bot=bot, human=True)
    template = MessageTemplateFactory(bot=bot, no_variables=True)
    response = client.post(
        reverse("admin:campaigns_campaign_add"),
        {
            "bot": bot.pk,
            "name": "X",
            "kind": "individual",
            "template": template.pk,
            "parameters": '{"body": []}',
            "routing": "attendant",
            "routing_bot": bot.pk,
            "flow_block": block.pk,
            "attendant_email": "ninguem@example.com",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert errors["attendant_email"][0].code == "R5_attendant_not_in_team"


def test_status_actions_change_statuses_through_services(client):
    from desk.models import Attendant

    attendant = AttendantFactory(status="offline")
    client.force_login(UserFactory(superuser=True))
    response = client.post(
        reverse("admin:desk_attendant_changelist"),
        {"action": "set_status_online", "_selected_action": [attendant.pk]},
    )
    assert response.status_code == 302
    assert Attendant.objects.get(pk=attendant.pk).status == "online"
    template = MessageTemplateFactory(status="pending")
    client.post(
        reverse("admin:campaigns_messagetemplate_changelist"),
        {"action": "mark_approved", "_selected_action": [template.pk]},
    )
    template.refresh_from_db()
    assert template.status == "approved"


def response_user(client):
    from django.contrib.auth import get_user

    return get_user(client)


def filter_choices(response, title_field: str) -> set[str]:
    """The labels of one list filter's choices on a changelist page."""
    for spec in response.context["cl"].filter_specs:
        if getattr(spec, "field_path", None) == title_field:
            return {str(label) for _pk, label in spec.lookup_choices}
    raise AssertionError(f"no list filter on {title_field}")


def test_every_relation_list_filter_offers_only_the_readers_rows(client, two_bots):
    """Issue 13: the *by bot* / *by team* filters listed other tenants' bots and teams."""
    mine, theirs = two_bots
    # A filter with a single choice is not shown: the reader gets a second bot of their own.
    second = world(BotFactory(slug="mine-too"))
    BotMembershipFactory(bot=second["bot"], user=response_user(client), role="admin")
    checked = 0
    for model in admin.site._registry:
        if model._meta.app_label not in {"bots", "desk", "campaigns"}:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        for spec in response.context["cl"].filter_specs:
            if not getattr(getattr(spec, "field", None), "is_relation", False):
                continue
            labels = {str(label) for _pk, label in spec.lookup_choices}
            foreign = {str(theirs["bot"]), str(theirs["team"])}
            assert not labels & foreign, (url, spec.field_path, labels & foreign)
            checked += 1
    assert checked >= 10
    ticket_filters = client.get(reverse("admin:desk_ticket_changelist"))
    assert str(mine["team"]) in filter_choices(ticket_filters, "team")
    assert str(mine["bot"]) in filter_choices(ticket_filters, "bot")


def test_user_choices_offer_only_people_of_the_readers_bots(client, two_bots):
    """Issue 13: adding a membership or an attendant offered every account of the installation."""
    mine, theirs = two_bots
    colleague = BotMembershipFactory(bot=mine["bot"], role="attendant").user
    stranger = BotMembershipFactory(bot=theirs["bot"], role="admin").user
    loner = UserFactory()
    for url in (reverse("admin:bots_botmembership_add"), reverse("admin:desk_attendant_add")):
        form = client.get(url).context["adminform"].form
        offered = {str(pk) for pk, _label in form.fields["user"].choices if pk}
        assert str(colleague.pk) in offered, url
        assert not {str(stranger.pk), str(loner.pk)} & offered, url
    # The form refuses a posted account it did not offer.
    response = client.post(
        reverse("admin:bots_botmembership_add"),
        {"user": stranger.pk, "bot": mine["bot"].pk, "role": "operator"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["user"][0].code == "invalid_choice"


@pytest.mark.parametrize("object_id", ["abc", "1.5", "%00", "9" * 30])
def test_malformed_object_ids_are_not_found_not_500(client, two_bots, object_id):
    """Issue 13: /admin/desk/ticket/abc/change/ answered 500."""
    for model in scoped_models():
        meta = model._meta
        url = f"/admin/{meta.app_label}/{meta.model_name}/{object_id}/change/"
        response = client.get(url)
        assert response.status_code in (302, 404), (url, response.status_code)
