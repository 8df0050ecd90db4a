"""Which groups a socket may join: the same checks as the Desk pages, nothing looser."""

from bots.access import ALL_ROLES, has_role
from bots.models import Bot
from desk import selectors
from desk.live import groups
from desk.models import TeamMembership


def _desk_bot(*, user, bot_slug: str) -> Bot | None:
    """The top-level bot of the page, if the user may open its Desk (as ``PortalMixin``)."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    bot = Bot.objects.filter(slug=bot_slug, router__isnull=True).first()
    if bot is None or not has_role(user, bot, ALL_ROLES):
        return None
    return bot


def attendant_groups(*, user, bot_slug: str, attendant_id: int) -> list[str] | None:
    """The groups of one of the user's own attendant profiles; None when it is not theirs."""
    bot = _desk_bot(user=user, bot_slug=bot_slug)
    if bot is None:
        return None
    attendant = selectors.attendants_of_user(user=user, bot=bot).filter(pk=attendant_id).first()
    if attendant is None:
        return None
    teams = TeamMembership.objects.filter(attendant=attendant).values_list("team_id", flat=True)
    return [
        groups.user(user.pk),
        groups.attendant(attendant.pk),
        *(groups.team(team_id) for team_id in teams),
    ]


def supervisor_groups(*, user, bot_slug: str) -> list[str] | None:
    """The board's group of a bot the user supervises; None otherwise."""
    bot = _desk_bot(user=user, bot_slug=bot_slug)
    if bot is None or not selectors.is_supervisor(user=user, bot=bot):
        return None
    return [groups.user(user.pk), groups.supervisors(bot.pk)]
