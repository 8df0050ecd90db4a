"""R20 in the admin: opting contacts back in (confirmed, scoped) and each bot's opt-out settings."""

import pytest
from django.urls import reverse
from django.utils import timezone

from bots.models import Contact
from desk.models import OptOutSettings
from tests.bots.factories import BotFactory, BotMembershipFactory, ContactFactory, SubBotFactory

pytestmark = pytest.mark.django_db
ACTION = {"action": "opt_back_in"}


@pytest.fixture
def operator(client):
    bot = BotFactory()
    client.force_login(BotMembershipFactory(bot=bot, role="operator").user)
    return bot


def _opted_out(bot, **fields):
    return ContactFactory(
        bot=bot, opted_out=True, opted_out_at=timezone.now(), opt_out_source="keyword", **fields
    )


def test_R20_opting_back_in_asks_first_then_lets_campaigns_reach_them(client, operator):
    ana, bruno = _opted_out(operator), _opted_out(operator)
    url = reverse("admin:bots_contact_changelist")
    selected = {**ACTION, "_selected_action": [ana.pk, bruno.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200  # the confirmation page, nothing changed yet
    assert 'id="confirm-opt-in"' in page.content.decode() and ana.phone in page.content.decode()
    assert Contact.objects.filter(opted_out=True).count() == 2
    done = client.post(url, {**selected, "confirmed": "yes"})
    assert done.status_code == 302
    ana.refresh_from_db()
    assert (ana.opted_out, ana.opted_out_at, ana.opt_out_source) == (False, None, "")
    assert not Contact.objects.filter(opted_out=True).exists()


def test_R20_opting_back_in_never_touches_another_bots_contact(client, operator):
    theirs = _opted_out(BotFactory())
    url = reverse("admin:bots_contact_changelist")
    client.post(url, {**ACTION, "_selected_action": [theirs.pk], "confirmed": "yes"})
    theirs.refresh_from_db()
    assert theirs.opted_out


def test_R20_opt_out_settings_are_edited_per_bot_with_keywords_one_per_line(client):
    bot = BotFactory()
    client.force_login(BotMembershipFactory(bot=bot, role="admin").user)
    add = reverse("admin:desk_optoutsettings_add")
    page = client.get(add)
    choices = {str(c) for c, _ in page.context["adminform"].form.fields["bot"].choices if c}
    assert choices == {str(bot.pk)}  # own top-level bots only
    assert "SAIR" in page.content.decode()  # the defaults are offered
    response = client.post(
        add,
        {
            "bot": bot.pk,
            "enabled": "on",
            "keywords": "Chega\n\n  Não quero mais \n",
            "button_payload": "OPT_OUT",
            "confirmation": "Tudo certo!",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    settings = OptOutSettings.objects.get()
    assert (settings.keywords, settings.button_payload) == (["Chega", "Não quero mais"], "OPT_OUT")


def test_R20_opt_out_settings_refuse_nothing_to_match_with_a_code(client):
    bot = BotFactory()
    client.force_login(BotMembershipFactory(bot=bot, role="admin").user)
    response = client.post(
        reverse("admin:desk_optoutsettings_add"),
        {"bot": bot.pk, "enabled": "on", "keywords": "", "confirmation": "ok"},
    )
    errors = response.context["adminform"].form.errors.as_data()
    assert errors["keywords"][0].code == "R20_nothing_to_match"


def test_R20_a_sub_bot_is_not_offered(client):
    sub = SubBotFactory()
    client.force_login(BotMembershipFactory(bot=sub.router, role="admin").user)
    page = client.get(reverse("admin:desk_optoutsettings_add"))
    choices = {str(c) for c, _ in page.context["adminform"].form.fields["bot"].choices if c}
    assert choices == {str(sub.router.pk)}
