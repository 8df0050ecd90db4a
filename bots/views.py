from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from bots.access import bot_ids_for, top_level_bots_for
from bots.models import BotMembership
from bots.portal import set_current_bot


@require_POST
@login_required
def switch_bot(request):
    chosen = request.POST.get("bot", "")
    bot = (
        top_level_bots_for(request.user).filter(pk=chosen).first()
        if chosen.isascii() and chosen.isdigit()
        else None
    )
    if bot is None:
        raise Http404
    set_current_bot(request, bot)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("home")
    return redirect(target)


@login_required
def home(request):
    """Operators land on Active Messages, attendants on their Desk, the rest in the admin."""
    user = request.user
    work = bot_ids_for(user, [BotMembership.Role.ADMIN, BotMembership.Role.OPERATOR])
    for name, allowed in (
        ("campaigns:list", work is None or bool(work)),
        ("desk:home", True),
    ):
        if allowed:
            try:
                return redirect(name)
            except NoReverseMatch:
                continue
    return redirect("admin:index")
