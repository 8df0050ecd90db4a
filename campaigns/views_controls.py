"""Cancel, reschedule and duplicate a campaign: each a confirmation page and one service call."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from bots.errors import apply_validation_error
from campaigns.controls import campaign_reschedule
from campaigns.models import CampaignStatus
from campaigns.services import campaign_cancel
from campaigns.views import CampaignPageMixin

SCHEDULE_INCOMPLETE = "schedule_incomplete"


class RescheduleForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def scheduled_at(self) -> dt.datetime:
        """The moment typed, in the operator's time zone."""
        moment = dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return timezone.make_aware(moment, timezone.get_current_timezone())


class CampaignCancelView(CampaignPageMixin, TemplateView):
    """GET asks for confirmation; POST cancels what has not gone out yet."""

    template_name = "campaigns/cancel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=_("Cancel campaign"), campaign=self.campaign)
        return context

    def post(self, request, *args, **kwargs):
        if campaign_cancel(campaign=self.campaign):
            messages.success(request, _("The campaign was canceled."))
        else:
            messages.warning(request, _("The campaign had already finished."))
        return redirect("campaigns:detail", pk=self.campaign.pk)


class CampaignRescheduleView(CampaignPageMixin, TemplateView):
    template_name = "campaigns/reschedule.html"

    def get_form(self) -> RescheduleForm:
        if self.request.method == "POST":
            return RescheduleForm(self.request.POST)
        current = self.campaign.scheduled_at
        initial = {}
        if current is not None:
            local = timezone.localtime(current)
            initial = {"date": local.date(), "time": local.time().replace(second=0)}
        return RescheduleForm(initial=initial)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("Change date and time"),
            campaign=self.campaign,
            form=kwargs.get("form") or self.get_form(),
            can_reschedule=self.campaign.status == CampaignStatus.SCHEDULED,
            TIME_ZONE_NAME=timezone.get_current_timezone_name(),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                campaign_reschedule(campaign=self.campaign, scheduled_at=form.scheduled_at())
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The campaign's date and time were changed."))
                return redirect("campaigns:detail", pk=self.campaign.pk)
        return self.render_to_response(self.get_context_data(form=form))


class CampaignDuplicateView(CampaignPageMixin, View):
    """A new wizard for the campaign's bot, prefilled with its template and routing."""

    def get(self, request, *args, **kwargs):
        return redirect(f"{reverse('campaigns:new')}?duplicate={self.campaign.pk}")
