"""R27 in the admin: the bot admin grants the Desk send per attendant and sets the cap."""

import pytest
from django.urls import reverse

from bots.models import BotMembership
from campaigns.models import DeskSender, DeskSendSettings
from tests.bots.factories import BotFactory, BotMembershipFactory, SubBotFactory
from tests.desk.factories import AttendantFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:campaigns_desksender_add")


@pytest.fixture
def router_admin(client):
    vendas = SubBotFactory()
    membership = BotMembershipFactory(bot=vendas.router, role=BotMembership.Role.ADMIN)
    membership.user.is_staff = True
    membership.user.save()
    client.force_login(membership.user)
    return vendas, membership.user


def test_R27_the_bot_admin_grants_an_attendant_of_their_bot(client, router_admin):
    vendas, user = router_admin
    ana = AttendantFactory(bot=vendas)
    stranger = AttendantFactory(bot=BotFactory())

    page = client.get(ADD)
    choices = {
        str(value) for value, _label in page.context["adminform"].form.fields["attendant"].choices
    }
    assert str(ana.pk) in choices and str(stranger.pk) not in choices

    response = client.post(ADD, {"attendant": ana.pk})
    assert response.status_code == 302
    grant = DeskSender.objects.get()
    assert (grant.attendant, grant.granted_by) == (ana, user)
    assert client.post(ADD, {"attendant": stranger.pk}).status_code == 200  # refused
    assert DeskSender.objects.count() == 1


def test_R27_an_operator_cannot_grant(client):
    bot = BotFactory()
    operator = BotMembershipFactory(bot=bot, role=BotMembership.Role.OPERATOR).user
    operator.is_staff = True
    operator.save()
    client.force_login(operator)
    assert client.post(ADD, {"attendant": AttendantFactory(bot=bot).pk}).status_code == 403
    assert not DeskSender.objects.exists()


def test_R27_the_cap_is_set_on_the_router_not_on_a_sub_bot(client, router_admin):
    vendas, _user = router_admin
    add = reverse("admin:campaigns_desksendsettings_add")
    refused = client.post(add, {"bot": vendas.pk, "contact_cap": 2, "cap_window_hours": 12})
    assert refused.status_code == 200 and not DeskSendSettings.objects.exists()
    client.post(add, {"bot": vendas.router.pk, "contact_cap": 2, "cap_window_hours": 12})
    assert DeskSendSettings.objects.get().bot == vendas.router
