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
from campaigns.reporting.recipients import word_rows
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
        creators = list(selectors.campaign_creators(bot=self.bot))
        form = CampaignListFilterForm(self.request.GET or None, creators=creators)
        campaigns = selectors.campaign_list(bot=self.bot, **form.filters())
        page = Paginator(campaigns, LIST_PAGE_SIZE).get_page(self.request.GET.get("page"))
        overdue_before = timezone.now() - OVERDUE_AFTER
        page.object_list = selectors.list_rows(
            page.object_list, creators=creators, overdue_before=overdue_before
        )
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
                "scheduler_stale": scheduler_is_stale(),
                "scheduler_age": scheduler_heartbeat_age(),
            }
        )
        return context


class CampaignPageMixin(PortalMixin):
    """A page about one campaign the user may see; its bot becomes the current bot."""

    roles = CAMPAIGN_ROLES
    portal_section = "campaigns"
    # The rows joined to the campaign's: only what the page shows. PostgreSQL plans a join of
    # eight tables in ~3 ms on the kept data, for a 0.2 ms read by primary key; anything else
    # loads when asked for.
    campaign_related: tuple[str, ...] = ("bot",)

    def campaign_queryset(self):
        return Campaign.objects.select_related(*self.campaign_related)

    @cached_property
    def campaign(self) -> Campaign:
        qs = scope(self.campaign_queryset(), self.request.user, roles=self.roles)
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
    campaign_related = ("bot", "template", "routing_bot", "created_by")

    def campaign_queryset(self):
        """The flow block's and team's names as two subqueries: joined, they would double the
        planning of this one-row read (see ``campaign_related``)."""
        return super().campaign_queryset().annotate(**selectors.ROUTING_NAMES)

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
                "routing_text": self.campaign.routing_summary(
                    block_name=self.campaign.flow_block_name, team_name=self.campaign.team_name
                ),
                "tally": tally,
                "counts": tally.counts,
                "page_obj": page,
                "recipients": word_rows(page.object_list),
            }
        )
        return context
