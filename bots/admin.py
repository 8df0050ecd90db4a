from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bots.admin_scoping import ADMIN_ROLES, ScopedInline, ScopedModelAdmin
from bots.messaging_limits import messaging_budget, window_usage_text
from bots.models import Bot, BotMembership, Contact, ContactState, FlowBlock, Message
from bots.services import bot_rotate_webhook_secret, contacts_opt_in


class BotAdminForm(forms.ModelForm):
    # The key is write-only: the page never echoes it back, and an empty field keeps the old one.
    new_api_key = forms.CharField(
        label=_("Blip API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the current key."),
    )

    class Meta:
        model = Bot
        fields = [
            "slug",
            "name",
            "kind",
            "whatsapp_number",
            "desk_enabled",
            "router",
            "service_name",
            "is_main_service",
            "uses_router_context",
            "blip_address",
            "blip_flow_id",
            "rate_limit_per_second",
            "messaging_tier",
            "quality_rating",
        ]

    def save(self, commit=True):
        if self.cleaned_data.get("new_api_key"):
            self.instance.blip_api_key = self.cleaned_data["new_api_key"]
        return super().save(commit)


class SubBotInline(ScopedInline):
    model = Bot
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 14})}}
    fk_name = "router"
    fields = [
        "slug",
        "name",
        "service_name",
        "is_main_service",
        "uses_router_context",
        "desk_enabled",
    ]
    verbose_name = _("sub-bot")
    verbose_name_plural = _("sub-bots (chatbots atrelados)")
    show_change_link = True


class FlowBlockInline(ScopedInline):
    model = FlowBlock
    fields = ["block_id", "name", "kind"]
    readonly_fields = ["kind"]


@admin.register(Bot)
class BotAdmin(ScopedModelAdmin):
    bot_path = ""
    form = BotAdminForm
    list_display = [
        "name",
        "slug",
        "kind",
        "router",
        "whatsapp_number",
        "messaging_tier",
        "desk_enabled",
        "uses_router_context",
    ]
    list_filter = ["kind", "desk_enabled", "uses_router_context", "messaging_tier"]
    search_fields = ["name", "slug", "service_name", "whatsapp_number"]
    readonly_fields = ["masked_webhook_secret", "masked_api_key", "created_at", "window_usage"]
    fieldsets = [
        (None, {"fields": ["slug", "name", "kind", "whatsapp_number", "desk_enabled"]}),
        (
            _("Sub-bot"),
            {
                "fields": ["router", "service_name", "is_main_service", "uses_router_context"],
                "description": _("Only for a sub-bot (chatbot atrelado) of a router."),
            },
        ),
        (
            _("WhatsApp messaging limit"),
            {
                "fields": ["messaging_tier", "quality_rating", "window_usage"],
                "description": _(
                    "Copy them from WhatsApp Manager. Active messages never go past the tier: "
                    "contacts beyond it wait for the 24-hour window to free and go out then."
                ),
            },
        ),
        (
            _("Blip"),
            {
                "fields": [
                    "blip_address",
                    "blip_flow_id",
                    "rate_limit_per_second",
                    "masked_webhook_secret",
                    "masked_api_key",
                    "new_api_key",
                ]
            },
        ),
    ]
    actions = ["rotate_webhook_secret"]

    def get_fieldsets(self, request, obj=None):
        # Show each kind of bot only what applies to it: a router has no Desk or flow of its
        # own, and a sub-bot has no channel of its own.
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        hidden = set()
        if obj.is_router:
            hidden = {
                "desk_enabled",
                "blip_flow_id",
                "router",
                "service_name",
                "is_main_service",
                "uses_router_context",
            }
        elif obj.is_sub_bot:
            # The router's channel and its messaging limit serve the sub-bot.
            hidden = {"whatsapp_number", "kind", "messaging_tier", "quality_rating", "window_usage"}
        else:
            hidden = {"router", "service_name", "is_main_service", "uses_router_context"}
        result = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in hidden]
            if fields:
                result.append((name, {**options, "fields": fields}))
        return result

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [SubBotInline] if obj.is_router else [FlowBlockInline]

    def has_add_permission(self, request, *args):
        # New top-level bots are a platform decision; bot admins manage the ones they have.
        return request.user.is_superuser

    @admin.display(description=_("webhook secret"))
    def masked_webhook_secret(self, obj):
        return obj.masked_webhook_secret

    @admin.display(description=_("current API key"))
    def masked_api_key(self, obj):
        return obj.masked_api_key

    @admin.display(description=_("last 24 hours"))
    def window_usage(self, obj):
        return window_usage_text(messaging_budget(bot=obj)) if obj.pk else "—"

    @admin.action(description=_("Generate a new webhook secret"))
    def rotate_webhook_secret(self, request, queryset):
        for bot in queryset:
            bot_rotate_webhook_secret(bot=bot)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "New webhook secret for %(n)d bot.", "New webhook secrets for %(n)d bots.", count
            )
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(FlowBlock)
class FlowBlockAdmin(ScopedModelAdmin):
    list_display = ["name", "block_id", "kind", "bot"]
    list_filter = ["kind", "bot"]
    search_fields = ["name", "block_id"]
    readonly_fields = ["kind"]
    list_select_related = ["bot"]


@admin.register(Contact)
class ContactAdmin(ScopedModelAdmin):
    edit_roles = ("admin", "operator")
    list_display = ["phone", "name", "email", "bot", "opted_out", "opted_out_at", "last_inbound_at"]
    list_filter = ["opted_out", "opt_out_source", "bot"]
    search_fields = ["phone", "name", "email", "whatsapp_identity"]
    readonly_fields = [
        "whatsapp_identity",
        "opted_out",
        "opted_out_at",
        "opt_out_source",
        "last_inbound_at",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["bot"]
    actions = ["opt_back_in"]

    @admin.action(description=_("Opt back in to active messages"), permissions=["change"])
    def opt_back_in(self, request, queryset):
        """R20 undone by an operator, after a confirmation page naming who will receive again."""
        opted = queryset.filter(opted_out=True)
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/bots/contact/opt_in_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Opt contacts back in?"),
                    "opts": self.model._meta,
                    "contacts": opted.select_related("bot")[:100],
                    "count": opted.count(),
                    "selected": queryset.values_list("pk", flat=True),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        count = contacts_opt_in(contacts=opted)
        self.message_user(
            request,
            ngettext(
                "%(n)d contact will receive active messages again.",
                "%(n)d contacts will receive active messages again.",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )
        return None


@admin.register(ContactState)
class ContactStateAdmin(ScopedModelAdmin):
    bot_path = "contact__bot"
    list_display = ["contact", "bot", "block", "updated_at"]
    list_select_related = ["contact", "bot", "block"]
    search_fields = ["contact__phone", "contact__name"]


@admin.register(Message)
class MessageAdmin(ScopedModelAdmin):
    list_display = ["created_at", "contact", "direction", "kind", "short_text", "status"]
    list_filter = ["direction", "kind", "status", "bot"]
    search_fields = ["contact__phone", "text", "gateway_message_id"]
    list_select_related = ["contact"]
    readonly_fields = [
        "bot",
        "contact",
        "direction",
        "kind",
        "text",
        "payload",
        "status",
        "gateway_message_id",
        "failure_reason",
        "created_at",
    ]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("text"))
    def short_text(self, obj):
        return obj.text[:60]


@admin.register(BotMembership)
class BotMembershipAdmin(ScopedModelAdmin):
    view_roles = ADMIN_ROLES
    list_display = ["user", "bot", "role"]
    list_filter = ["role", "bot"]
    search_fields = ["user__username", "user__email", "bot__name"]
