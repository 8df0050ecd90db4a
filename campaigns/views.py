"""Growth > Active Messages: the campaign list and one campaign's page. The wizard: wizard.py."""

import datetime as dt
from functools import cached_property

from django.core.paginator import Paginator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from bots.access import scope
from bots.portal import PortalMixin, set_current_bot
from campaigns import selectors
from campaigns.heartbeat import scheduler_heartbeat_age, scheduler_is_stale
from campaigns.list_filters import CampaignListFilterForm
from campaigns.models import Campaign
from campaigns.wizard import CAMPAIGN_ROLES

LIST_PAGE_SIZE = 25
RECIPIENTS_PAGE_SIZE = 50
# A scheduled campaign still waiting this long after its time says so on the list.
OVERDUE_AFTER = dt.timedelta(minutes=5)


class CampaignListView(PortalMixin, TemplateView):
    template_name = "campaigns/list.html"
    roles = CAMPAIGN_ROLES
    portal_section = "campaigns"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = CampaignListFilterForm(
            self.request.GET or None, creators=selectors.campaign_creators(bot=self.bot)
        )
        campaigns = selectors.campaign_list(bot=self.bot, **form.filters())
        page = Paginator(campaigns, LIST_PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            {
                "title": _("Active Messages"),
                "portal_section": self.portal_section,
                "page_obj": page,
                "campaigns": page.object_list,
                "filter_form": form,
                "page_query": query.urlencode(),
                "can_send": self.bot.is_connected_to_whatsapp,
                "overdue_before": timezone.now() - OVERDUE_AFTER,
                "scheduler_stale": scheduler_is_stale(),
                "scheduler_age": scheduler_heartbeat_age(),
            }
        )
        return context


class CampaignPageMixin(PortalMixin):
    """A page about one campaign the user may see; its bot becomes the current bot."""

    roles = CAMPAIGN_ROLES
    portal_section = "campaigns"

    @cached_property
    def campaign(self) -> Campaign:
        qs = scope(
            Campaign.objects.select_related(
                "bot", "template", "routing_bot", "flow_block", "team", "attendant", "created_by"
            ),
            self.request.user,
            roles=self.roles,
        )
        campaign = qs.filter(pk=self.kwargs["pk"]).first()
        if campaign is None:
            raise Http404
        set_current_bot(self.request, campaign.bot)
        return campaign

    @cached_property
    def bot(self):
        return self.campaign.bot


class CampaignDetailView(CampaignPageMixin, TemplateView):
    template_name = "campaigns/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tally = selectors.campaign_tally(campaign=self.campaign)
        recipients = selectors.campaign_recipients(campaign=self.campaign)
        paginator = Paginator(recipients, RECIPIENTS_PAGE_SIZE)
        paginator.count = tally.total  # counted already: no second COUNT of the recipients
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            {
                "title": self.campaign.name,
                "portal_section": self.portal_section,
                "campaign": self.campaign,
                "tally": tally,
                "counts": tally.counts,
                "page_obj": page,
                "recipients": page.object_list,
            }
        )
        return context
