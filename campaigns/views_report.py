"""The campaign report: figures, charts, the recipients table, and one recipient's conversation."""

import os

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from campaigns.models import Recipient
from campaigns.reporting import exports
from campaigns.reporting.outcomes import OUTCOME_LABELS, with_outcome
from campaigns.reporting.presentation import report_context
from campaigns.reporting.recipients import RecipientFilterForm, recipients_page, word_rows
from campaigns.reporting.rollup import campaign_results_current
from campaigns.views import CampaignPageMixin
from desk import selectors as desk_selectors
from desk.models import Ticket

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CampaignReportView(CampaignPageMixin, TemplateView):
    template_name = "campaigns/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.campaign
        results = campaign_results_current(campaign=campaign)
        form = RecipientFilterForm(self.request.GET or None, campaign=campaign, results=results)
        filters = form.filters()
        page = recipients_page(
            campaign=campaign,
            filters=filters,
            page_number=self.request.GET.get("page"),
            results=results,
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        recipients = word_rows(page.object_list, campaign=campaign)
        context.update(
            title=_("Report: %(name)s") % {"name": campaign.name},
            campaign=campaign,
            filter_form=form,
            filters=filters,
            page_obj=page,
            recipients=recipients,
            page_query=query.urlencode(),
            **report_context(campaign, results),
        )
        return context


class RecipientConversationView(CampaignPageMixin, TemplateView):
    """What a recipient and the business said after the send, with the ticket it opened."""

    template_name = "campaigns/conversation.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.campaign
        recipient = (
            with_outcome(
                Recipient.objects.filter(campaign=campaign, pk=self.kwargs["recipient_pk"]),
                campaign,
            )
            .select_related("contact")
            .first()
        )
        if recipient is None:
            raise Http404
        ticket = None
        if recipient.ticket_id:
            ticket = Ticket.objects.select_related("team", "attendant", "bot").get(
                pk=recipient.ticket_id
            )
        since = recipient.sent_at or campaign.dispatched_at
        messages = [
            m
            for m in desk_selectors.conversation(contact=recipient.contact)
            if since is None or m.created_at >= since
        ]
        context.update(
            title=_("Conversation with %(who)s")
            % {"who": recipient.contact.name or recipient.contact.phone},
            campaign=campaign,
            recipient=recipient,
            outcome_label=OUTCOME_LABELS.get(recipient.outcome, ""),
            ticket=ticket,
            can_open_ticket=ticket is not None
            and desk_selectors.visible_ticket(
                user=self.request.user, bot=campaign.bot, pk=ticket.pk
            )
            is not None,
            history=messages,
        )
        return context


class _DeleteOnClose:
    """A file that removes itself once the response finished streaming it."""

    def __init__(self, path: str):
        self.path = path
        self.file = open(path, "rb")  # noqa: SIM115 - closed by the response

    def read(self, size=-1):
        return self.file.read(size)

    def close(self):
        self.file.close()
        os.unlink(self.path)


class CampaignExportView(CampaignPageMixin, View):
    """The recipients table with the page's filters, as CSV (streamed) or XLSX."""

    def get(self, request, *args, fmt: str, **kwargs):
        campaign = self.campaign
        form = RecipientFilterForm(request.GET or None, campaign=campaign)
        filters = form.filters()
        if fmt == "csv":
            response = StreamingHttpResponse(
                exports.csv_stream(campaign=campaign, filters=filters),
                content_type="text/csv; charset=utf-8",
            )
        else:
            path = exports.xlsx_file(campaign=campaign, filters=filters)
            response = FileResponse(_DeleteOnClose(path), content_type=XLSX_TYPE)
        name = exports.export_filename(campaign, fmt)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
