"""Who is asking: the client address used by login throttling, proxies taken into account."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind ``PROXY_COUNT`` proxies the address the outermost one saw.

    Only the entries our own proxies appended are trusted: a client can put anything at the left
    of X-Forwarded-For, so counting from the right is what cannot be spoofed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "PROXY_COUNT", 0)
    if count <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    return hops[-count] if len(hops) >= count else remote


def lockout_response(request, original_response=None, credentials=None):
    """The login page's answer once django-axes locked the user name at this address: 429."""
    from datetime import timedelta

    from django.contrib import admin
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    cooloff = settings.AXES_COOLOFF_TIME
    if isinstance(cooloff, int | float):
        cooloff = timedelta(hours=cooloff)
    minutes = max(1, round(cooloff.total_seconds() / 60)) if cooloff else 0
    context = {
        **admin.site.each_context(request),
        "title": _("Too many login attempts"),
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/locked_out.html", context, status=429)
