"""The bot configuration the inbound path caches (rules, Default teams, opt-out policy, R20):
every save raises the top-level bot's version, so no copy is ever used after a change."""

import pytest
from django.core.cache import cache

from bots.models import Bot
from bots.services import contact_move_to_block
from desk.inbound import inbound_receive
from desk.inbound_config import config_for
from desk.models import OptOutSettings, Team
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory, SubBotFactory
from tests.desk.factories import AttendanceRuleFactory, RuleConditionFactory, TeamFactory

pytestmark = pytest.mark.django_db
PHONE = "+5511987654321"


def version(bot) -> int:
    return Bot.objects.values_list("cache_version", flat=True).get(pk=bot.top_level.pk)


def config(bot):
    return config_for(bot=bot, version=version(bot))


@pytest.fixture
def desk():
    bot = BotFactory()
    human = FlowBlockFactory(bot=bot, human=True)
    contact = ContactFactory(bot=bot, phone=PHONE)
    contact_move_to_block(contact=contact, bot=bot, block=human)
    vendas = TeamFactory(bot=bot, name="Vendas")
    return type("Desk", (), {"bot": bot, "vendas": vendas})


def routed(desk, text="quero comprar", n=[0]):  # noqa: B006 - a counter for envelope ids
    n[0] += 1
    result = inbound_receive(bot=desk.bot, phone=PHONE, text=text, envelope_id=f"e{n[0]}")
    desk.bot.tickets.all().delete()  # every message opens a ticket afresh
    return result.decision


def test_a_new_rule_routes_the_next_message_in_every_process(desk):
    assert routed(desk).reason_code == "default_team"
    rule = AttendanceRuleFactory(bot=desk.bot, team=desk.vendas, name="Compra")
    RuleConditionFactory(rule=rule, values=["comprar"])
    decision = routed(desk)
    assert (decision.reason_code, decision.team_id) == ("rule", desk.vendas.pk)


def test_editing_deactivating_and_deleting_a_rule_or_its_condition_are_seen_at_once(desk):
    rule = AttendanceRuleFactory(bot=desk.bot, team=desk.vendas, name="Compra")
    condition = RuleConditionFactory(rule=rule, values=["comprar"])
    assert routed(desk).reason_code == "rule"
    condition.values = ["vender"]
    condition.save()
    assert routed(desk).reason_code == "default_team"
    condition.values = ["comprar"]
    condition.save()
    rule.is_active = False
    rule.save()
    assert routed(desk).reason_code == "default_team"
    rule.is_active = True
    rule.save()
    assert routed(desk).reason_code == "rule"
    condition.delete()
    assert routed(desk).reason_code == "default_team"


def test_a_renamed_team_and_a_new_default_team_are_seen_at_once(desk):
    rule = AttendanceRuleFactory(bot=desk.bot, team=desk.vendas, name="Compra")
    RuleConditionFactory(rule=rule, values=["comprar"])
    assert config(desk.bot).rules[desk.bot.pk][0].team_name == "Vendas"
    desk.vendas.name = "Vendas SP"
    desk.vendas.save()
    assert config(desk.bot).rules[desk.bot.pk][0].team_name == "Vendas SP"
    old_default = Team.objects.get(bot=desk.bot, name="Default")
    assert config(desk.bot).default_teams == {desk.bot.pk: old_default.pk}
    old_default.name = "Geral"
    old_default.save()
    assert config(desk.bot).default_teams == {}


def test_R20_a_changed_opt_out_policy_applies_to_the_next_message(desk):
    assert routed(desk, "SAIR").target == "opt_out"
    OptOutSettings.objects.create(bot=desk.bot, keywords=["CHEGA"], enabled=True)
    assert config(desk.bot).opt_out.keywords == frozenset({"chega"})
    assert routed(desk, "SAIR").target != "opt_out"


def test_a_sub_bots_rule_raises_its_routers_version():
    sub = SubBotFactory()
    router = sub.router
    before = version(router)
    rule = AttendanceRuleFactory(bot=sub, team=TeamFactory(bot=sub, name="Suporte"))
    RuleConditionFactory(rule=rule, values=["ajuda"])
    assert version(router) > before
    assert [r.name for r in config(sub).rules[sub.pk]] == [rule.name]


def test_a_process_holding_an_older_version_never_serves_it(desk):
    """Another process saved a rule: this one's cache still holds the old configuration, but
    the version read with the message is new, so the old entry is not the one looked up."""
    first = config(desk.bot)
    assert first.rules == {}
    rule = AttendanceRuleFactory(bot=desk.bot, team=desk.vendas, name="Compra")
    RuleConditionFactory(rule=rule, values=["comprar"])
    assert config_for(bot=desk.bot, version=version(desk.bot) - 2) == first  # old key, kept
    assert [r.name for r in config(desk.bot).rules[desk.bot.pk]] == ["Compra"]


def test_the_configuration_is_read_once_per_version(desk, django_assert_num_queries):
    cache.clear()
    config(desk.bot)
    with django_assert_num_queries(1):  # the version only
        config(desk.bot)
