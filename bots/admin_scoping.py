"""Admin scoping: a staff user sees and acts only on the bots they are a member of.

Each scoped ModelAdmin names the lookup from its model to a Bot (``bot_path``). Rows, foreign-key
choices and change pages all go through the same filter; an object of another bot answers 403.
"""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.utils.text import format_lazy

from bots.access import bot_ids_for, scope, users_for
from bots.models import Bot, BotMembership

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
        if obj is None and _exists(self.model, object_id):
            raise PermissionDenied
        return obj

    def get_list_filter(self, request):
        # A plain relation filter lists every row of the related table: other tenants' bots,
        # teams and users. Each one becomes the scoped filter below.
        return [_scoped_filter(self.model, spec) for spec in super().get_list_filter(request)]

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

    def get_changelist(self, request, **kwargs):
        return BotNamesChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_field(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_field(field, db_field, request)


def with_bot_names(queryset):
    """``queryset`` loading what its rows' names need: a sub-bot is "Router › Sub-bot"."""
    if queryset.model is Bot:
        return queryset.select_related("router")
    try:
        field = queryset.model._meta.get_field("bot")
    except FieldDoesNotExist:
        return queryset
    if field.many_to_one and field.related_model is Bot:
        return queryset.select_related("bot__router")
    return queryset


class BotNamesChangeList(ChangeList):
    """The changelist, with the routers of the rows' bots in two queries, not one per row.

    Django's own ``select_related()`` does not follow the nullable ``router``, and a bot's name
    (``Bot.__str__``) needs it; a prefetch survives whatever ``select_related`` Django applies.
    """

    def apply_select_related(self, qs):
        qs = super().apply_select_related(qs)
        path = self.model_admin.bot_path
        return qs.prefetch_related(f"{path}__router" if path else "router")


def _exists(model, object_id) -> bool:
    """Whether a row with this pk exists; a malformed pk ("abc") exists nowhere."""
    try:
        return model._default_manager.filter(pk=object_id).exists()
    except (ValidationError, ValueError, TypeError):
        return False


def scoped_related(queryset, request):
    """``queryset`` of a related model cut to what the reader may see, or None if unknown."""
    model = queryset.model
    if model is get_user_model():
        return queryset.filter(pk__in=users_for(request.user, ADMIN_ROLES))
    path = SCOPE_PATHS.get(model)
    if path is None:
        return None
    return scope(queryset, request.user, path=path, roles=VIEW_ROLES)


def _scope_field(field, db_field, request):
    if field is not None and hasattr(field, "queryset"):
        scoped = scoped_related(field.queryset, request)
        field.queryset = with_bot_names(field.queryset if scoped is None else scoped)
    return field


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The admin's relation filter, offering only rows the reader may see.

    Models with a known path to a Bot (and users) are scoped like the admin's own rows; any
    other relation offers only the values present in the reader's own (scoped) rows.
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model._default_manager.all()
        scoped = scoped_related(related, request)
        if scoped is None:
            present = model_admin.get_queryset(request).values_list(self.field_path, flat=True)
            scoped = related.filter(pk__in=present.distinct().order_by())
        ordering = self.field_admin_ordering(field, request, model_admin)
        return [(obj.pk, str(obj)) for obj in with_bot_names(scoped).order_by(*ordering)]


def _scoped_filter(model, spec):
    """``spec`` of ``list_filter`` with a relation field's filter swapped for the scoped one."""
    if isinstance(spec, str):
        name, filter_class = spec, None
    elif isinstance(spec, tuple | list) and isinstance(spec[0], str):
        name, filter_class = spec[0], spec[1]
    else:
        return spec  # a SimpleListFilter class: it chooses its own lookups
    try:
        field = get_fields_from_path(model, name)[-1]
    except FieldDoesNotExist:
        return spec
    plain = filter_class in (None, admin.RelatedFieldListFilter)
    if getattr(field, "is_relation", False) and plain:
        return (name, ScopedRelatedFieldListFilter)
    return spec


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
