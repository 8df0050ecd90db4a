"""Who may see which bot: the one place that turns memberships into querysets.

Membership is granted on a top-level bot (a stand-alone bot or a router); the sub-bots of a router
come with it. Superusers see everything.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from bots.models import Bot, BotMembership

ALL_ROLES = tuple(BotMembership.Role.values)


def bot_ids_for(user, roles: Iterable[str] = ALL_ROLES) -> set[int] | None:
    """Ids of every bot (sub-bots included) the user may act on; None means no restriction."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    top = set(
        BotMembership.objects.filter(user=user, role__in=list(roles)).values_list(
            "bot_id", flat=True
        )
    )
    subs = set(Bot.objects.filter(router_id__in=top).values_list("id", flat=True))
    return top | subs


def scope(qs: QuerySet, user, *, path: str = "bot", roles: Iterable[str] = ALL_ROLES) -> QuerySet:
    """Restrict ``qs`` to rows whose ``path`` (a lookup ending at a Bot) the user may act on."""
    ids = bot_ids_for(user, roles)
    if ids is None:
        return qs
    lookup = "pk__in" if path == "" else f"{path}__in"
    return qs.filter(Q(**{lookup: ids}))


def top_level_bots_for(user, roles: Iterable[str] = ALL_ROLES) -> QuerySet:
    return scope(Bot.objects.filter(router__isnull=True), user, path="", roles=roles)


def has_role(user, bot: Bot, roles: Iterable[str]) -> bool:
    if user.is_superuser:
        return True
    return BotMembership.objects.filter(
        user=user, bot_id=bot.top_level.pk, role__in=list(roles)
    ).exists()


def users_for(user, roles: Iterable[str] = ALL_ROLES) -> QuerySet:
    """User accounts the user may pick (in a membership, an attendant's login): the people of
    the bots where they hold ``roles``, and themselves. Never the whole installation."""
    users = get_user_model().objects.all()
    if user.is_superuser:
        return users
    ids = bot_ids_for(user, roles)
    return users.filter(Q(bot_memberships__bot_id__in=ids) | Q(pk=user.pk)).distinct()
