"""Webhook subscriptions and their delivery log in the admin, for the bot's admins only."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import WebhookDelivery, WebhookSubscription
from api.models.webhooks import EVENT_CHOICES
from api.webhooks.delivery import delivery_retry_now
from bots.access import top_level_bots_for
from bots.admin_scoping import ADMIN_ROLES, ScopedModelAdmin


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"style": "width: 100%; max-width: 40rem;"}),
        help_text=_("Your system's address that receives the events."),
    )
    events = forms.MultipleChoiceField(
        label=capfirst(_("events")), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["bot", "url", "events", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedModelAdmin):
    form = SubscriptionForm
    view_roles = ADMIN_ROLES
    edit_roles = ADMIN_ROLES
    list_display = ["url", "bot", "event_list", "is_active", "created_at"]
    list_filter = ["is_active", "bot"]
    search_fields = ["url"]
    list_select_related = ["bot"]
    readonly_fields = ["signing_secret", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bot":
            kwargs["queryset"] = top_level_bots_for(request.user, roles=ADMIN_ROLES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("events"))
    def event_list(self, obj) -> str:
        return ", ".join(obj.events or [])

    @admin.display(description=_("signing secret"))
    def signing_secret(self, obj) -> str:
        # Bot admins need it to check signatures; nobody else can open this page.
        return format_html("<code>{}</code>", obj.secret)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedModelAdmin):
    bot_path = "subscription__bot"
    view_roles = ADMIN_ROLES
    edit_roles = ADMIN_ROLES
    list_display = [
        "created_at",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "subscription__url"]
    list_select_related = ["subscription"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    fields = [
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_error",
        "pretty_attempts",
        "pretty_payload",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("payload"))
    def pretty_payload(self, obj) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.display(description=_("attempts log"))
    def pretty_attempts(self, obj) -> str:
        lines = [
            f"{a['at']}  {a['status_code'] or '—'}  {a['ms']} ms  {a['error']}"
            for a in obj.attempt_log or []
        ]
        return format_html("<pre>{}</pre>", "\n".join(lines) or "—")

    @admin.action(description=_("Send the selected deliveries again now"))
    def retry_now(self, request, queryset):
        count = sum(delivery_retry_now(delivery=d) for d in queryset)
        self.message_user(
            request,
            ngettext("%(n)d delivery queued.", "%(n)d deliveries queued.", count) % {"n": count},
            messages.SUCCESS,
        )
