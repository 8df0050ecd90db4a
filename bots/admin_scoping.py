"""Admin scoping: a staff user sees and acts only on the bots they are a member of.

Each scoped ModelAdmin names the lookup from its model to a Bot (``bot_path``). Rows, foreign-key
choices and change pages all go through the same filter; an object of another bot answers 403.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.text import format_lazy

from bots.access import bot_ids_for, scope
from bots.models import BotMembership

VIEW_ROLES = (BotMembership.Role.ADMIN, BotMembership.Role.OPERATOR)
ADMIN_ROLES = (BotMembership.Role.ADMIN,)

# model -> lookup path to its Bot, filled as scoped admins are declared; used for FK choices.
SCOPE_PATHS: dict[type, str] = {}


class BotScopedMixin:
    bot_path = "bot"
    view_roles = VIEW_ROLES
    edit_roles = ADMIN_ROLES

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        SCOPE_PATHS.setdefault(model, self.bot_path)

    def get_queryset(self, request):
        return scope(
            super().get_queryset(request), request.user, path=self.bot_path, roles=self.view_roles
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self.model._default_manager.filter(pk=object_id).exists():
            raise PermissionDenied
        return obj

    def _allowed(self, request, roles) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        ids = bot_ids_for(user, roles)
        return ids is None or bool(ids)

    def has_module_permission(self, request):
        return self._allowed(request, self.view_roles)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_roles)

    def has_add_permission(self, request, *args):
        return self._allowed(request, self.edit_roles)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.edit_roles)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, self.edit_roles)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_field(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_field(field, db_field, request)


def _scope_field(field, db_field, request):
    path = SCOPE_PATHS.get(db_field.related_model)
    if field is not None and path is not None and hasattr(field, "queryset"):
        field.queryset = scope(field.queryset, request.user, path=path, roles=VIEW_ROLES)
    return field


class ScopedModelAdmin(BotScopedMixin, admin.ModelAdmin):
    list_per_page = 50


class ScopedInline(BotScopedMixin, admin.TabularInline):
    extra = 0

    def __init__(self, parent_model, admin_site):
        admin.TabularInline.__init__(self, parent_model, admin_site)

    def get_queryset(self, request):
        return admin.TabularInline.get_queryset(self, request)


def status_actions(statuses, apply, *, label, prefix: str) -> list:
    """One admin action per status, each calling ``apply(obj, status)`` on the selected rows.

    Statuses only move through services; these actions are the admin's buttons for them. The
    label is formatted lazily so each reader sees it in their own language.
    """
    actions = []
    for status in statuses:

        def action(modeladmin, request, queryset, status=status):
            for obj in queryset:
                apply(obj, status)

        action.__name__ = f"{prefix}_{status.value}"
        action.short_description = format_lazy(label, status=status.label)
        actions.append(action)
    return actions
