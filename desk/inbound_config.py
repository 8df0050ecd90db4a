"""What the inbound path reads of a bot that rarely changes, cached under a version key.

The attendance rules (active, in priority order, with their conditions) and the Default team of
every bot of a top-level bot's family, and its opt-out policy (R20). The cache key carries the
top-level bot's ``cache_version``, which the inbound facts query reads fresh with every message;
saving or deleting a rule, a condition, a team or the opt-out settings raises it in the same
transaction (the receivers below), so no process, whatever its cache, routes by a stale copy.
A queryset ``update()`` or ``bulk_create()`` of those models sends no signal: whoever adds one
calls ``config_changed`` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bots.models import Bot
from desk.models import DEFAULT_TEAM_NAME, AttendanceRule, OptOutSettings, RuleCondition, Team
from desk.optout import OptOutPolicy
from desk.routing import ConditionData, RuleData

# Old versions are never read again; this only bounds how long they occupy the cache.
CACHE_SECONDS = 6 * 3600
MEMO_SIZE = 256  # bots whose configuration a process keeps at hand

_memo: dict[str, InboundConfig] = {}


@dataclass(frozen=True)
class InboundConfig:
    rules: dict[int, tuple[RuleData, ...]]  # bot id → its active rules, in priority order
    default_teams: dict[int, int]  # bot id → its Default team's id
    opt_out: OptOutPolicy


def config_for(*, bot: Bot, version: int) -> InboundConfig:
    """The configuration of ``bot``'s family as of ``version`` (read from the database with it)."""
    top = bot.top_level
    # The creation time keeps a bot id reused after a delete (SQLite) from another's entry.
    key = f"desk:inbound-config:{top.pk}:{top.created_at.timestamp():.6f}:{version}"
    # A key names one version for ever, so the process may keep what it read without asking the
    # cache again (which unpickles on every get): it saves a fraction of every message.
    config = _memo.get(key)
    if config is None:
        config = cache.get(key)
        if config is None:
            config = _load(top)
            cache.set(key, config, CACHE_SECONDS)
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        _memo[key] = config
    return config


def config_forget() -> None:
    """Drop the process's copies (tests: the database rolls back, ids come back)."""
    _memo.clear()


def config_changed(*, bot_id: int) -> None:
    """Raise the version of the bot's top-level bot: every cached copy is outdated at once."""
    Bot.objects.filter(Q(pk=bot_id, router__isnull=True) | Q(sub_bots__pk=bot_id)).update(
        cache_version=F("cache_version") + 1
    )


def _load(top: Bot) -> InboundConfig:
    family = Bot.objects.filter(Q(pk=top.pk) | Q(router_id=top.pk)).values("pk")
    conditions = (
        RuleCondition.objects.filter(rule__bot__in=family, rule__is_active=True)
        .order_by("rule__bot_id", "rule__priority", "rule_id", "id")
        .values_list("rule__bot_id", *_CONDITION_COLUMNS)
    )
    defaults = (
        Team.objects.filter(bot__in=family, name=DEFAULT_TEAM_NAME)
        .order_by()  # the model's ordering would join the bots table for nothing
        .values_list("bot_id", "id")
    )
    return InboundConfig(
        rules=_rules(conditions),
        default_teams=dict(defaults),
        opt_out=OptOutPolicy.of(OptOutSettings.objects.filter(bot_id=top.pk).first()),
    )


_CONDITION_COLUMNS = (
    "rule_id",
    "rule__name",
    "rule__team_id",
    "rule__team__name",
    "rule__operator",
    "source",
    "relation",
    "values",
    "extra_key",
)


def _rules(conditions) -> dict[int, tuple[RuleData, ...]]:
    # A rule without conditions never matches (routing._rule_matches), so the join loses nothing.
    heads: dict[int, tuple] = {}
    grouped: dict[int, list[ConditionData]] = {}
    for (
        bot_id,
        rule_id,
        name,
        team_id,
        team_name,
        operator,
        source,
        relation,
        values,
        key,
    ) in conditions:
        heads.setdefault(rule_id, (bot_id, name, team_id, team_name, operator))
        grouped.setdefault(rule_id, []).append(
            ConditionData(
                source=source,
                relation=relation,
                values=tuple(v for v in values or () if isinstance(v, str)),
                extra_key=key,
            )
        )
    by_bot: dict[int, list[RuleData]] = {}
    for rule_id, conds in grouped.items():
        bot_id, name, team_id, team_name, operator = heads[rule_id]
        by_bot.setdefault(bot_id, []).append(
            RuleData(
                id=rule_id,
                name=name,
                team_id=team_id,
                team_name=team_name,
                operator=operator,
                conditions=tuple(conds),
            )
        )
    return {bot_id: tuple(rules) for bot_id, rules in by_bot.items()}


@receiver([post_save, post_delete], sender=AttendanceRule, dispatch_uid="desk_config_rule")
@receiver([post_save, post_delete], sender=Team, dispatch_uid="desk_config_team")
@receiver([post_save, post_delete], sender=OptOutSettings, dispatch_uid="desk_config_opt_out")
def _owner_changed(sender, instance, **kwargs) -> None:
    config_changed(bot_id=instance.bot_id)


@receiver([post_save, post_delete], sender=RuleCondition, dispatch_uid="desk_config_condition")
def _condition_changed(sender, instance: RuleCondition, **kwargs) -> None:
    bot_id = AttendanceRule.objects.filter(pk=instance.rule_id).values_list("bot_id", flat=True)
    if (found := bot_id.first()) is not None:
        config_changed(bot_id=found)
