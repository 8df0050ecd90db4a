from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from bots.admin_scoping import ScopedInline, ScopedModelAdmin, status_actions
from desk.models import (
    AttendanceRule,
    Attendant,
    AttendantAbsence,
    AttendantStatusChange,
    ClosingTag,
    DeskSettings,
    InboundRouting,
    OptOutSettings,
    PauseReason,
    QuickReply,
    ReplyDirective,
    RuleCondition,
    Team,
    TeamMembership,
    Ticket,
    TicketNote,
)
from desk.models.optout import default_opt_out_keywords
from desk.presence import attendant_change_status


class TeamMembershipInline(ScopedInline):
    model = TeamMembership
    verbose_name = _("attendant")
    verbose_name_plural = _("attendants")


class AttendantTeamInline(ScopedInline):
    model = TeamMembership
    verbose_name = _("team")
    verbose_name_plural = _("teams")


class AbsenceInline(ScopedInline):
    """Vacations and leaves (R23): campaigns cannot choose the attendant then, unless a
    substitute is set, who receives the replies instead."""

    model = AttendantAbsence
    fk_name = "attendant"
    bot_path = "attendant__bot"
    fields = ["starts_on", "ends_on", "substitute", "note"]


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    list_display = ["name", "bot", "attendant_count"]
    list_filter = ["bot"]
    search_fields = ["name"]
    inlines = [TeamMembershipInline]
    list_select_related = ["bot"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("attendants"))

    @admin.display(description=_("attendants"), ordering="member_count")
    def attendant_count(self, obj):
        return obj.member_count

    def has_delete_permission(self, request, obj=None):
        # Default takes every reply no rule claims: it cannot be removed.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Attendant)
class AttendantAdmin(ScopedModelAdmin):
    list_display = ["email", "name", "bot", "status", "slots", "team_names", "user"]
    list_filter = ["status", "bot"]
    search_fields = ["email", "name"]
    readonly_fields = [
        "status",
        "pause_reason",
        "status_changed_at",
        "last_seen_at",
        "last_assigned_at",
    ]
    inlines = [AttendantTeamInline, AbsenceInline]
    list_select_related = ["bot", "user"]
    actions = status_actions(
        Attendant.Status,
        lambda a, status: attendant_change_status(
            attendant=a, status=status, source=AttendantStatusChange.Source.ADMIN
        ),
        label=_("Set status: {status}"),
        prefix="set_status",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description=_("teams"))
    def team_names(self, obj):
        return ", ".join(team.name for team in obj.teams.all())


class RuleConditionInline(ScopedInline):
    model = RuleCondition
    extra = 1


@admin.register(AttendanceRule)
class AttendanceRuleAdmin(ScopedModelAdmin):
    list_display = ["priority", "name", "bot", "operator", "team", "is_active"]
    list_display_links = ["name"]
    list_filter = ["is_active", "bot"]
    search_fields = ["name"]
    inlines = [RuleConditionInline]
    list_select_related = ["bot", "team"]


@admin.register(Ticket)
class TicketAdmin(ScopedModelAdmin):
    list_display = [
        "sequence",
        "bot",
        "contact",
        "team",
        "requested_attendant",
        "attendant",
        "status",
        "routed_by",
        "created_at",
    ]
    list_filter = ["status", "routed_by", "bot", "team"]
    search_fields = ["contact__phone", "contact__name", "sequence"]
    readonly_fields = [
        "sequence",
        "status",
        "routed_by",
        "routing_reason",
        "directive",
        "transferred_to",
        "created_at",
        "opened_at",
        "closed_at",
    ]
    list_select_related = ["bot", "contact", "team", "attendant", "requested_attendant"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, *args):
        return False


@admin.register(ReplyDirective)
class ReplyDirectiveAdmin(ScopedModelAdmin):
    list_display = [
        "contact",
        "bot",
        "attendant",
        "team",
        "source_label",
        "sent_at",
        "valid_until",
        "superseded",
    ]
    list_filter = ["superseded", "bot"]
    search_fields = ["contact__phone", "source_label"]
    list_select_related = ["contact", "bot", "attendant", "team"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InboundRouting)
class InboundRoutingAdmin(ScopedModelAdmin):
    bot_path = "message__bot"
    list_display = ["created_at", "message", "target", "reason", "ticket"]
    list_filter = ["target"]
    list_select_related = ["message__contact", "ticket"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class KeywordsField(forms.CharField):
    """A list of keywords edited as one per line."""

    widget = forms.Textarea(attrs={"rows": 8, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class OptOutSettingsForm(forms.ModelForm):
    keywords = KeywordsField(
        label=_("opt-out keywords"),
        required=False,
        initial=default_opt_out_keywords,
        help_text=_(
            "One per line. A reply made of one of them alone opts the contact out; case, accents "
            "and punctuation do not matter."
        ),
    )

    class Meta:
        model = OptOutSettings
        fields = ["bot", "enabled", "keywords", "button_payload", "confirmation"]


@admin.register(OptOutSettings)
class OptOutSettingsAdmin(ScopedModelAdmin):
    form = OptOutSettingsForm
    list_display = ["bot", "enabled", "keyword_list", "button_payload", "updated_at"]
    list_filter = ["enabled"]
    list_select_related = ["bot"]
    readonly_fields = ["updated_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "bot" and field is not None:
            field.queryset = field.queryset.filter(router__isnull=True)  # contacts live there
        return field

    @admin.display(description=_("opt-out keywords"))
    def keyword_list(self, obj):
        return ", ".join(obj.keywords or [])


@admin.register(DeskSettings)
class DeskSettingsAdmin(ScopedModelAdmin):
    list_display = [
        "bot",
        "distribution",
        "hide_attend_button",
        "offline_after_minutes",
        "inactivity_warning_minutes",
        "inactivity_close_minutes",
        "closing_tag_required",
    ]
    list_select_related = ["bot"]
    fieldsets = [
        (None, {"fields": ["bot"]}),
        (_("Distribution (R21)"), {"fields": ["distribution", "hide_attend_button"]}),
        (_("Statuses"), {"fields": ["offline_after_minutes"]}),
        (
            _("Inactivity (R24)"),
            {
                "fields": [
                    "inactivity_warning_minutes",
                    "inactivity_warning_text",
                    "inactivity_close_minutes",
                    "inactivity_close_tag",
                    "unanswered_flag_minutes",
                ]
            },
        ),
        (_("Closing (R25)"), {"fields": ["closing_tag_required"]}),
    ]


@admin.register(PauseReason)
class PauseReasonAdmin(ScopedModelAdmin):
    list_display = ["name", "bot", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "bot"]
    search_fields = ["name"]
    list_select_related = ["bot"]


@admin.register(ClosingTag)
class ClosingTagAdmin(ScopedModelAdmin):
    list_display = ["name", "bot", "is_active"]
    list_filter = ["is_active", "bot"]
    search_fields = ["name"]
    list_select_related = ["bot"]


@admin.register(QuickReply)
class QuickReplyAdmin(ScopedModelAdmin):
    list_display = ["title", "bot", "team", "text"]
    list_filter = ["bot", "team"]
    search_fields = ["title", "text"]
    list_select_related = ["bot", "team"]


@admin.register(AttendantAbsence)
class AttendantAbsenceAdmin(ScopedModelAdmin):
    bot_path = "attendant__bot"
    list_display = ["attendant", "starts_on", "ends_on", "substitute", "note"]
    list_filter = ["starts_on"]
    search_fields = ["attendant__email", "substitute__email", "note"]
    list_select_related = ["attendant", "substitute"]
    date_hierarchy = "starts_on"


@admin.register(AttendantStatusChange)
class AttendantStatusChangeAdmin(ScopedModelAdmin):
    """The status history the supervisor reads: who, when, to what, why, by whom."""

    bot_path = "attendant__bot"
    list_display = ["changed_at", "attendant", "old_status", "status", "reason_name", "source"]
    list_filter = ["status", "source"]
    search_fields = ["attendant__email", "reason_name"]
    list_select_related = ["attendant"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TicketNote)
class TicketNoteAdmin(ScopedModelAdmin):
    bot_path = "ticket__bot"
    list_display = ["created_at", "ticket", "author", "text"]
    search_fields = ["text", "ticket__contact__phone"]
    list_select_related = ["ticket__contact", "author"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
