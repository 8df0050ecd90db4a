"""API keys in the admin: created by bot admins, shown once, revocable; scoped to their bots."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.keys import api_key_create, api_key_revoke
from api.models import ApiKey
from bots.access import top_level_bots_for
from bots.admin_scoping import ADMIN_ROLES, ScopedModelAdmin


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["bot", "name", "requests_per_minute"]


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    view_roles = ADMIN_ROLES
    edit_roles = ADMIN_ROLES
    list_display = [
        "name",
        "bot",
        "display_prefix",
        "state",
        "requests_per_minute",
        "last_used_at",
        "created_by",
        "created_at",
    ]
    list_filter = ["bot"]
    search_fields = ["name", "prefix"]
    list_select_related = ["bot", "created_by"]
    actions = ["revoke"]
    readonly_fields = [
        "bot",
        "display_prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    fields = ["bot", "name", "requests_per_minute", *readonly_fields[1:]]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.fields if obj else ApiKeyAddForm.Meta.fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bot":
            # Keys belong to top-level bots (they also act on sub-bots), for their admins only.
            kwargs["queryset"] = top_level_bots_for(request.user, roles=ADMIN_ROLES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, clear = api_key_create(
            bot=obj.bot,
            name=obj.name,
            created_by=request.user,
            requests_per_minute=obj.requests_per_minute,
        )
        obj.pk, obj.prefix = key.pk, key.prefix
        request._api_key_clear = clear  # shown once by response_add, stored nowhere

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Copy the new API key now"),
            "key": obj,
            "clear": request._api_key_clear,
        }
        return TemplateResponse(request, "admin/api/key_created.html", context)

    @admin.display(description=_("state"))
    def state(self, obj) -> str:
        return _("active") if obj.is_active else _("revoked")

    @admin.display(description=_("prefix"))
    def display_prefix(self, obj) -> str:
        return f"{obj.display_prefix}…"

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        count = sum(api_key_revoke(key=key) for key in queryset)
        self.message_user(
            request,
            ngettext("%(n)d key revoked.", "%(n)d keys revoked.", count) % {"n": count},
            messages.SUCCESS,
        )


from api.webhooks import admin as webhooks_admin  # noqa: E402, F401  (registers its admins)
