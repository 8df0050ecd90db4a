"""Live progress of a campaign (JSON for the panel's polling) and its Cancel button."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from bots.access import has_role, scope
from bots.models import BotMembership
from campaigns.models import Campaign
from campaigns.sending.progress import campaign_progress
from campaigns.services import campaign_cancel

OPERATOR_ROLES = (BotMembership.Role.ADMIN, BotMembership.Role.OPERATOR)


def _campaign(request, pk: int, roles=None) -> Campaign:
    if not request.user.is_authenticated:
        raise Http404
    campaign = get_object_or_404(scope(Campaign.objects.all(), request.user), pk=pk)
    if roles and not has_role(request.user, campaign.bot, roles):
        raise Http404
    return campaign


class CampaignProgressView(View):
    def get(self, request, pk: int):
        # Attendants of the bot do not see campaigns anywhere else either.
        return JsonResponse(campaign_progress(campaign=_campaign(request, pk, OPERATOR_ROLES)))


class CampaignCancelView(View):
    def post(self, request, pk: int):
        campaign = _campaign(request, pk, OPERATOR_ROLES)
        if campaign_cancel(campaign=campaign):
            messages.success(request, _("The campaign was canceled."))
        else:
            messages.warning(request, _("The campaign had already finished."))
        target = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "home"
        return redirect(target)
