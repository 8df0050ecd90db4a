"""Who may see which bot: the one place that turns memberships into querysets.

Membership is granted on a top-level bot (a stand-alone bot or a router); the sub-bots of a router
come with it. Superusers see everything.

A page asks these questions many times (the switcher, the view's own check, the Desk's
supervisor test…): the user's memberships, their bots and those bots' sub-bots are read once, in
one query, and kept on the user object, which lives for one request. Any change of a membership
or a bot in this process drops every such memo (a generation counter, bumped by the receivers
below).
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bots.models import Bot, BotMembership

ALL_ROLES = tuple(BotMembership.Role.values)
_MEMO = "_bot_access_memo"
_generation = [0]


@receiver([post_save, post_delete], sender=BotMembership, dispatch_uid="bots_access_memberships")
@receiver([post_save, post_delete], sender=Bot, dispatch_uid="bots_access_bots")
def forget_access(**kwargs) -> None:
    """Memberships or bots changed: every memo of this process is stale."""
    _generation[0] += 1


def _memo(user) -> dict:
    memo = getattr(user, _MEMO, None)
    if memo is None or memo["generation"] != _generation[0]:
        memo = {"generation": _generation[0]}
        setattr(user, _MEMO, memo)
    return memo


def _roles_by_bot(user) -> dict[int, str]:
    """{top-level bot id: role} of the user's memberships, with the sub-bots of each router
    under the router's role."""
    memo = _memo(user)
    if "roles" not in memo:
        _read_access(user, memo)
    return memo["roles"]


# Every bot a membership of the user names, and the sub-bots of those, each with the user's role
# on itself and on its router (a membership is unique per user and bot: no row comes twice).
# A union, not "id IN … OR router_id IN …": PostgreSQL walks the whole table for an OR of two
# subqueries, while each half of the union is an index lookup. Plain SQL, read through the model:
# the ORM took 2 ms of CPU to compile this query (Subquery, OuterRef, union), longer than the
# three simple queries it replaces; the text is fixed, so it is written once.
_ACCESS_SQL = """
    SELECT bot.*, own.role AS access_role, via.role AS access_router_role
    FROM bots_bot bot
    LEFT JOIN bots_botmembership own ON own.bot_id = bot.id AND own.user_id = %s
    LEFT JOIN bots_botmembership via ON via.bot_id = bot.router_id AND via.user_id = %s
    WHERE bot.id IN (
        SELECT named.bot_id FROM bots_botmembership named WHERE named.user_id = %s
        UNION
        SELECT sub.id FROM bots_bot sub
        JOIN bots_botmembership parent ON parent.bot_id = sub.router_id
        WHERE parent.user_id = %s
    )
    ORDER BY bot.slug
"""


def _read_access(user, memo: dict) -> None:
    """Fill ``memo`` from one query (_ACCESS_SQL): the user's roles, the routers' sub-bots and
    the switcher's bots.

    These were three queries on every page (the memberships, the routers' sub-bots, the
    switcher's bots) and a fourth on the Desk's (the current bot's sub-bots, family_ids). The
    bots come whole and by slug, so the switcher's list and each of its bots' family are kept.
    """
    bots = list(Bot.objects.raw(_ACCESS_SQL, [user.pk] * 4))
    memo["roles"] = {bot.pk: bot.access_role for bot in bots if bot.access_role}
    memo["subs"] = {bot.pk: bot.access_router_role for bot in bots if bot.access_router_role}
    top_level = [bot for bot in bots if bot.router_id is None and bot.access_role]
    for bot in top_level:
        # Every sub-bot of a bot the user is a member of is in ``bots``, in slug order: exactly
        # what family_ids() would read.
        _memo(bot)["family"] = [bot.pk, *(b.pk for b in bots if b.router_id == bot.pk)]
    memo["top_level"] = top_level


def bot_ids_for(user, roles: Iterable[str] = ALL_ROLES) -> frozenset[int] | None:
    """Ids of every bot (sub-bots included) the user may act on; None means no restriction."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    roles = set(roles)
    top = _roles_by_bot(user)
    subs = _memo(user)["subs"]
    return frozenset(b for b, r in top.items() if r in roles) | frozenset(
        b for b, r in subs.items() if r in roles
    )


def scope(qs: QuerySet, user, *, path: str = "bot", roles: Iterable[str] = ALL_ROLES) -> QuerySet:
    """Restrict ``qs`` to rows whose ``path`` (a lookup ending at a Bot) the user may act on."""
    ids = bot_ids_for(user, roles)
    if ids is None:
        return qs
    lookup = "pk__in" if path == "" else f"{path}__in"
    return qs.filter(Q(**{lookup: sorted(ids)}))


def top_level_bots_for(user, roles: Iterable[str] = ALL_ROLES) -> QuerySet:
    return scope(Bot.objects.filter(router__isnull=True), user, path="", roles=roles)


def top_level_bot_list(user) -> list[Bot]:
    """The top-level bots the user may act on in any role, by slug (the switcher's list)."""
    memo = _memo(user)
    if "top_level" not in memo:
        if user.is_authenticated and user.is_active and not user.is_superuser:
            _read_access(user, memo)
        else:
            memo["top_level"] = list(top_level_bots_for(user))
    return memo["top_level"]


def family_ids(bot: Bot) -> list[int]:
    """The bot and its sub-bots (the bot first), read once per bot object and generation."""
    memo = _memo(bot)
    if "family" not in memo:
        memo["family"] = [bot.pk, *Bot.objects.filter(router=bot).values_list("pk", flat=True)]
    return memo["family"]


def has_role(user, bot: Bot, roles: Iterable[str]) -> bool:
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    top = bot.router_id or bot.pk
    return _roles_by_bot(user).get(top) in set(roles)


def users_for(user, roles: Iterable[str] = ALL_ROLES) -> QuerySet:
    """User accounts the user may pick (in a membership, an attendant's login): the people of
    the bots where they hold ``roles``, and themselves. Never the whole installation."""
    users = get_user_model().objects.all()
    if user.is_superuser:
        return users
    ids = bot_ids_for(user, roles)
    return users.filter(Q(bot_memberships__bot_id__in=sorted(ids)) | Q(pk=user.pk)).distinct()
