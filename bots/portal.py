"""What every portal page shares: the current bot and the bots the user may switch to."""

from functools import cached_property

from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from bots.access import ALL_ROLES, bot_ids_for, has_role, top_level_bot_list
from bots.models import Bot

SESSION_KEY = "portal_bot_id"
CAMPAIGN_ROLES = ("admin", "operator")


def current_bot(request, roles=ALL_ROLES) -> Bot | None:
    """The bot chosen in the switcher, else the user's first bot; None when they have none."""
    allowed = bot_ids_for(request.user, roles)
    bots = [bot for bot in top_level_bot_list(request.user) if allowed is None or bot.pk in allowed]
    chosen = str(request.session.get(SESSION_KEY, ""))
    return next((bot for bot in bots if str(bot.pk) == chosen), bots[0] if bots else None)


def set_current_bot(request, bot: Bot) -> None:
    # Only a change is written: every page of a campaign or ticket names its bot, and an
    # unchanged session costs no UPDATE of the session row.
    if request.session.get(SESSION_KEY) != bot.pk:
        request.session[SESSION_KEY] = bot.pk


def portal_context(request, bot: Bot | None) -> dict:
    """The admin's own context (header, user links) plus the switcher, for pages in its look."""
    # admin.site.each_context() minus its app list: portal pages have no admin sidebar, and the
    # list asks every ModelAdmin for its permissions (two queries each) on every page view.
    script_name = request.META.get("SCRIPT_NAME", "")
    site = admin.site
    context = {
        "site_title": site.site_title,
        "site_header": site.site_header,
        "site_url": script_name if site.site_url == "/" and script_name else site.site_url,
        "available_apps": [],
        "is_popup": False,
        "log_entries": site.get_log_entries(request),
    }
    context.update(
        {
            "is_nav_sidebar_enabled": False,
            "has_permission": request.user.is_authenticated,
            "portal_bot": bot,
            "portal_bots": top_level_bot_list(request.user),
            # Attendants only work the Desk: the Active Messages link would only lead to a 404.
            "portal_can_campaign": bot_ids_for(request.user, CAMPAIGN_ROLES) != set(),
        }
    )
    return context


class PortalMixin(LoginRequiredMixin):
    """A page about the current bot; ``roles`` are the memberships that may open it."""

    roles = ALL_ROLES

    @cached_property
    def bot(self) -> Bot:
        slug = self.kwargs.get("bot_slug")
        if slug:
            # Among the switcher's bots (read with the memberships, in the same query): a bot
            # outside them is one the user holds no role on, and the object found there
            # already knows its sub-bots (family_ids), which the Desk's pages ask for.
            bot = next((b for b in top_level_bot_list(self.request.user) if b.slug == slug), None)
            if bot is None or not has_role(self.request.user, bot, self.roles):
                raise Http404
            set_current_bot(self.request, bot)
            return bot
        bot = current_bot(self.request, self.roles)
        if bot is None:
            raise Http404
        return bot

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(portal_context(self.request, self.bot))
        return context
