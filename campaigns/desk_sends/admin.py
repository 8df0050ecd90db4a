"""The bot admin's side of the Desk send (R27): who may send, the per-contact cap, what was sent.

Everything is scoped to the reader's bots like the rest of the admin; granting is for bot
admins, the list of messages sent is read-only (they are campaigns: their controls live there).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bots.admin_scoping import ScopedModelAdmin
from campaigns.models import DeskSend, DeskSender, DeskSendSettings


@admin.register(DeskSender)
class DeskSenderAdmin(ScopedModelAdmin):
    bot_path = "attendant__bot"
    list_display = ["attendant", "desk", "granted_by", "granted_at"]
    list_filter = ["attendant__bot"]
    search_fields = ["attendant__email", "attendant__name"]
    list_select_related = ["attendant__bot__router", "granted_by"]
    fields = ["attendant", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]

    @admin.display(description=_("Desk"), ordering="attendant__bot__name")
    def desk(self, obj):
        return obj.attendant.bot

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DeskSendSettings)
class DeskSendSettingsAdmin(ScopedModelAdmin):
    list_display = ["bot", "contact_cap", "cap_window_hours"]
    list_select_related = ["bot"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "bot" and field is not None:
            field.queryset = field.queryset.filter(router__isnull=True)  # contacts live there
        return field


@admin.register(DeskSend)
class DeskSendAdmin(ScopedModelAdmin):
    bot_path = "contact__bot"
    list_display = ["created_at", "attendant", "contact", "campaign", "status"]
    list_filter = ["attendant__bot"]
    search_fields = ["attendant__email", "contact__phone", "contact__name"]
    list_select_related = ["attendant", "contact", "campaign"]
    date_hierarchy = "created_at"

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.campaign.get_status_display()

    # A record of what was sent: it changes only through the campaign it belongs to.
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
