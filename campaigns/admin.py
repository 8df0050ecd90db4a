from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bots.admin_scoping import ScopedModelAdmin, status_actions
from bots.errors import apply_validation_error
from campaigns import validation
from campaigns.admin_drafts import DraftAudienceFields, save_draft_contact, send_or_schedule
from campaigns.desk_sends import admin as desk_sends_admin  # noqa: F401 (registers)
from campaigns.models import Campaign, MessageTemplate, Recipient
from campaigns.services import campaign_cancel, template_set_status

OPERATOR_ROLES = ("admin", "operator")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ScopedModelAdmin):
    edit_roles = OPERATOR_ROLES
    list_display = [
        "name",
        "language",
        "bot",
        "category",
        "status",
        "header_type",
        "variable_count",
    ]
    list_filter = ["status", "category", "language", "bot"]
    search_fields = ["name", "body"]
    readonly_fields = ["status", "variable_count", "created_at"]
    list_select_related = ["bot"]
    actions = status_actions(
        MessageTemplate.Status,
        lambda t, status: template_set_status(template=t, status=status),
        label=_("Mark as {status}"),
        prefix="mark",
    )


class CampaignAdminForm(DraftAudienceFields, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "bot",
            "name",
            "kind",
            "template",
            "parameters",
            "routing",
            "routing_bot",
            "flow_block",
            "team",
            "attendant_email",
            "fallback",
            "fallback_minutes",
            "audience_file",
            "scheduled_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # R22: waiting for the attendant is the default, as in the wizard.
        self.fields["fallback"].required = False

    def clean_fallback(self):
        return self.cleaned_data.get("fallback") or Campaign.Fallback.WAIT

    def clean(self):
        data = super().clean()
        self.clean_audience_extra()  # the Draft's contact or CSV, as the wizard's step 1
        return data

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # The admin refuses exactly what the wizard and the scheduler refuse (R5–R9).
        try:
            validation.validate_campaign_for_send(campaign=self.instance)
        except ValidationError as error:
            apply_validation_error(self, error)


@admin.register(Campaign)
class CampaignAdmin(ScopedModelAdmin):
    edit_roles = OPERATOR_ROLES
    form = CampaignAdminForm
    list_display = [
        "name",
        "bot",
        "kind",
        "template",
        "routing",
        "status",
        "scheduled_at",
        "created_at",
    ]
    list_filter = ["status", "kind", "routing", "bot"]
    search_fields = ["name", "attendant_email"]
    readonly_fields = [
        "status",
        "attendant",
        "absent_attendant",
        "dispatched_at",
        "finished_at",
        "lateness_seconds",
        "failure_code",
        "failure_reason",
        "created_by",
        "created_at",
        "audience_size",
        "skipped_rows",
        "opted_out_count",
    ]
    list_select_related = ["bot", "template"]
    date_hierarchy = "created_at"
    actions = ["cancel", send_or_schedule]
    fieldsets = [
        (None, {"fields": ["name", "bot", "status", "created_by", "created_at"]}),
        (
            _("1. Audience"),
            {
                "fields": [
                    "kind",
                    "phone",
                    "contact_name",
                    "audience_file",
                    "skip_bad_rows",
                    "audience_size",
                    "skipped_rows",
                    "opted_out_count",
                ]
            },
        ),
        (_("2. Content"), {"fields": ["template", "parameters"]}),
        (
            _("3. Reply routing"),
            {
                "fields": [
                    "routing",
                    "routing_bot",
                    "flow_block",
                    "team",
                    "attendant_email",
                    "attendant",
                    "absent_attendant",
                    "fallback",
                    "fallback_minutes",
                ]
            },
        ),
        (
            _("4. Send"),
            {
                "fields": [
                    "scheduled_at",
                    "dispatched_at",
                    "lateness_seconds",
                    "finished_at",
                    "failure_code",
                    "failure_reason",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        save_draft_contact(obj, form)

    @admin.action(description=_("Cancel the selected campaigns"))
    def cancel(self, request, queryset):
        done = sum(campaign_cancel(campaign=c) for c in queryset)
        self.message_user(request, _("%(n)d campaign(s) canceled.") % {"n": done}, messages.SUCCESS)


@admin.register(Recipient)
class RecipientAdmin(ScopedModelAdmin):
    bot_path = "campaign__bot"
    edit_roles = ()
    list_display = [
        "contact",
        "campaign",
        "status",
        "sent_at",
        "delivered_at",
        "read_at",
        "replied_at",
        "failure_reason",
    ]
    list_filter = ["status"]
    search_fields = ["contact__phone", "campaign__name", "gateway_message_id"]
    list_select_related = ["contact", "campaign"]
    readonly_fields = [
        "campaign",
        "contact",
        "parameters",
        "status",
        "gateway_message_id",
        "failure_reason",
        "attempts",
        "claimed_at",
        "sent_at",
        "delivered_at",
        "read_at",
        "replied_at",
    ]
