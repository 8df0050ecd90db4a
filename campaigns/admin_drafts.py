"""The admin's side of a Draft: its audience on the form, and the "send or schedule" action.

Thin adapters over ``campaigns.drafts``: the form checks what the wizard's step 1 checks (the
phone, an opted-out contact, a CSV with bad rows only imported once the operator accepts
skipping them), the action asks for a confirmation and then sends each Draft through the same
services as the wizard, reporting each refusal with its code.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bots.errors import error_codes
from bots.phones import InvalidPhone, normalize_phone
from campaigns import selectors, validation
from campaigns.audience import AudienceFileError, scan_audience
from campaigns.drafts import (
    IMPORT_STARTED,
    SCHEDULED,
    campaign_draft_set_contact,
    campaign_send_draft,
)
from campaigns.forms import AUDIENCE_MESSAGES, BAD_ROWS_NOT_SKIPPED, NO_VALID_ROWS
from campaigns.models import Campaign, CampaignStatus


class DraftAudienceFields(forms.Form):
    """Mixed into the campaign's admin form: who a Draft goes to."""

    phone = forms.CharField(
        label=gettext_lazy("Contact's phone"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Individual campaigns: the one contact, in any notation."),
    )
    contact_name = forms.CharField(label=gettext_lazy("Contact's name"), required=False)
    skip_bad_rows = forms.BooleanField(
        label=gettext_lazy("Skip the CSV rows with errors"), required=False
    )

    def clean_audience_extra(self) -> None:
        data, bot = self.cleaned_data, self.cleaned_data.get("bot")
        if bot is None or self.instance.status != CampaignStatus.DRAFT:
            return
        if data.get("kind") == Campaign.Kind.INDIVIDUAL:
            self._clean_phone(bot)
        elif data.get("kind") == Campaign.Kind.BULK and data.get("audience_file"):
            self._clean_file(bot, data["audience_file"])

    def _clean_phone(self, bot) -> None:
        raw = self.cleaned_data.get("phone", "")
        if not raw:
            return  # the Draft keeps the contact it has (or is refused when sent without one)
        try:
            self.cleaned_data["phone"] = normalize_phone(raw)
        except InvalidPhone as exc:
            message = AUDIENCE_MESSAGES[exc.code] % {"value": raw}
            self.add_error("phone", ValidationError(message, code=exc.code))
            return
        try:
            validation.check_contact_reachable(bot=bot, phone=self.cleaned_data["phone"])
        except ValidationError as error:
            self.add_error("phone", error.error_dict["phone"])

    def _clean_file(self, bot, upload) -> None:
        if not hasattr(upload, "seek"):
            return  # the file already stored on the Draft: checked when it was uploaded
        try:
            scan = scan_audience(upload, opted_out=selectors.opted_out_phones(bot=bot))
        except AudienceFileError as exc:
            message = AUDIENCE_MESSAGES.get(exc.code, exc.code) % exc.params
            self.add_error("audience_file", ValidationError(message, code=exc.code))
            return
        finally:
            upload.seek(0)
        if scan["valid_rows"] - scan["opted_out"] <= 0:
            self.add_error(
                "audience_file",
                ValidationError(_("No row of the file can be sent to."), code=NO_VALID_ROWS),
            )
        elif scan["error_count"] and not self.cleaned_data.get("skip_bad_rows"):
            first = ", ".join(str(e["line"]) for e in scan["errors"][:5])
            self.add_error(
                "skip_bad_rows",
                ValidationError(
                    _(
                        "The file has %(count)d rows with errors (lines %(lines)s…): fix the "
                        "file or skip them."
                    )
                    % {"count": scan["error_count"], "lines": first},
                    code=BAD_ROWS_NOT_SKIPPED,
                ),
            )


def save_draft_contact(campaign: Campaign, form) -> None:
    """After the Draft is saved: the contact typed on the form becomes its recipient."""
    phone = form.cleaned_data.get("phone")
    if campaign.kind == Campaign.Kind.INDIVIDUAL and phone:
        campaign_draft_set_contact(
            campaign=campaign, phone=phone, name=form.cleaned_data.get("contact_name", "")
        )


def send_or_schedule(modeladmin, request, queryset):
    """Send the selected Drafts now or at their scheduled time, after a confirmation page."""
    drafts = queryset.filter(status=CampaignStatus.DRAFT).select_related("bot", "template")
    if request.POST.get("confirmed") != "yes":
        return TemplateResponse(
            request,
            "admin/campaigns/campaign/send_confirmation.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": _("Send these campaigns?"),
                "opts": modeladmin.model._meta,
                "drafts": drafts,
                "others": queryset.exclude(status=CampaignStatus.DRAFT).count(),
                "selected": queryset.values_list("pk", flat=True),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
    for campaign in drafts:
        try:
            outcome = campaign_send_draft(campaign=campaign)
        except ValidationError as error:
            codes = ", ".join(sorted(error_codes(error)))
            modeladmin.message_user(
                request,
                _("“%(name)s” was not sent: %(why)s (%(codes)s)")
                % {"name": campaign.name, "why": " ".join(error.messages), "codes": codes},
                messages.ERROR,
            )
            continue
        modeladmin.message_user(request, _outcome_message(campaign, outcome), messages.SUCCESS)
    return None


send_or_schedule.short_description = gettext_lazy("Send or schedule the selected Drafts")
send_or_schedule.allowed_permissions = ("change",)


def _outcome_message(campaign: Campaign, outcome: str) -> str:
    if outcome == SCHEDULED:
        local = timezone.localtime(campaign.scheduled_at)
        when = formats.date_format(local, "SHORT_DATETIME_FORMAT")
        return _("“%(name)s” is scheduled for %(when)s.") % {"name": campaign.name, "when": when}
    if outcome == IMPORT_STARTED:
        return _("“%(name)s”: its audience is being imported; it goes out when that ends.") % {
            "name": campaign.name
        }
    return _("“%(name)s” is being sent now.") % {"name": campaign.name}
