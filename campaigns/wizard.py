"""The four-step campaign wizard (R2): Audience, Content, Reply routing, Send."""

from collections import OrderedDict
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from formtools.wizard.views import SessionWizardView

from bots.models import BotMembership
from bots.portal import PortalMixin
from campaigns import selectors
from campaigns.audience import AudienceParser, count_rows_missing, rows_to_import
from campaigns.audience_store import AudienceMember
from campaigns.budget_preview import BudgetPreview, budget_preview, upload_phones
from campaigns.dispatch import campaign_create
from campaigns.duplicate import duplicate_source, wizard_initial
from campaigns.forms import AudienceForm, ContentForm, RoutingForm, SendForm
from campaigns.importing import campaign_create_importing
from campaigns.models import Campaign
from campaigns.uploads import upload_storage
from desk.absence import absence_on
from desk.models import Attendant

# CSVs with more rows than this are imported by a Celery task after the wizard returns;
# settings.AUDIENCE_INLINE_MAX_ROWS overrides it.
AUDIENCE_INLINE_MAX_ROWS = 2000
CAMPAIGN_ROLES = (BotMembership.Role.ADMIN, BotMembership.Role.OPERATOR)

STEPS = [
    ("audience", AudienceForm, _("Audience")),
    ("content", ContentForm, _("Content")),
    ("routing", RoutingForm, _("Reply routing")),
    ("send", SendForm, _("Send")),
]
STEP_LABELS = OrderedDict((name, label) for name, _form, label in STEPS)
# Which step fixes a send-time error, by the field the model-level validation names.
FIELD_STEP = {
    "bot": "audience",
    "audience": "audience",
    "name": "audience",
    "template": "content",
    "parameters": "content",
    "routing": "routing",
    "routing_bot": "routing",
    "flow_block": "routing",
    "team": "routing",
    "attendant_email": "routing",
    "fallback": "routing",
    "fallback_minutes": "routing",
    "scheduled_at": "send",
}


class CampaignWizard(PortalMixin, SessionWizardView):
    form_list = [(name, form) for name, form, _label in STEPS]
    roles = CAMPAIGN_ROLES
    portal_section = "campaigns"

    @property
    def file_storage(self):
        return upload_storage()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.bot.is_connected_to_whatsapp:
            return redirect("campaigns:list")  # R1: the list page says why
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs):
        # One wizard per bot: switching bots never mixes two campaigns' answers.
        return f"campaign_wizard_{self.bot.pk}"

    def get(self, request, *args, **kwargs):
        """A fresh wizard; with ``?duplicate=<id>``, one prefilled from that campaign."""
        source = duplicate_source(
            user=request.user,
            bot=self.bot,
            campaign_id=request.GET.get("duplicate"),
            roles=self.roles,
        )
        if source is None:
            return super().get(request, *args, **kwargs)
        self.storage.reset()  # what formtools' get() does, then the copied answers
        self.storage.current_step = self.steps.first
        self.storage.extra_data = {"duplicate": wizard_initial(source), "duplicate_of": source.pk}
        return self.render(self.get_form())

    def get_form_initial(self, step):
        initial = (self.storage.extra_data.get("duplicate") or {}).get(step)
        return dict(initial) if initial else super().get_form_initial(step)

    def get_template_names(self):
        return [f"campaigns/wizard/{self.steps.current}.html"]

    # --- what each step's form needs ---------------------------------------------------------

    @cached_property
    def kind(self) -> str:
        data = self.storage.get_step_data("audience") or {}
        return data.get("audience-kind", Campaign.Kind.INDIVIDUAL)

    @property
    def scan(self) -> dict:
        return self.storage.extra_data.get("scan") or {}

    def get_form_kwargs(self, step=None):
        if step == "audience":
            return {"bot": self.bot, "upload_storage": upload_storage(), "known_scan": self.scan}
        if step == "content":
            return {
                "bot": self.bot,
                "kind": self.kind,
                "columns": self.scan.get("columns", []),
                "empty_cells": self.scan.get("empty_cells", {}),
                "count_rows_missing": self.count_rows_missing,
            }
        if step == "routing":
            return {"bot": self.bot, "kind": self.kind}
        return {}

    def count_rows_missing(self, columns: list[str]) -> int:
        """Rows of the uploaded CSV with an empty cell in one of ``columns`` (step 2)."""
        token = self.scan.get("token", "")
        storage = upload_storage()
        if not token or not storage.exists(token):
            return 0
        with storage.open(token, "rb") as fileobj:
            return count_rows_missing(fileobj, columns)

    def process_step(self, form):
        if self.steps.current == "audience":
            scan = form.scan if form.cleaned_data["kind"] == Campaign.Kind.BULK else None
            self.storage.extra_data = {**self.storage.extra_data, "scan": scan}
        return super().process_step(form)

    def process_step_files(self, form):
        return {}  # the CSV is kept under its token (AudienceForm), not as formtools step files

    def post(self, *args, **kwargs):
        goto = self.request.POST.get("wizard_goto_step")
        if goto in self.get_form_list() and self.storage.current_step:
            # Back keeps what was typed on this page, even before it was validated.
            self.storage.set_step_data(self.storage.current_step, self.request.POST)
        return super().post(*args, **kwargs)

    # --- rendering ---------------------------------------------------------------------------

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        context.update(portal_context_for(self, form))
        return context

    def routing_summary(self) -> dict:
        data = self.get_cleaned_data_for_step("routing") or {}
        email = data.get("attendant_email", "")
        attendant = None
        if email and data.get("routing") == Campaign.Routing.ATTENDANT and data.get("routing_bot"):
            attendant = Attendant.objects.filter(
                bot=data["routing_bot"], email__iexact=email
            ).first()
        # R23: step 4 says who receives the reply while the chosen attendant is away (today;
        # a scheduled send is checked again for its own day).
        absence = absence_on(attendant=attendant, day=timezone.localdate()) if attendant else None
        return {"data": data, "attendant": attendant, "absence": absence}

    # --- finishing ---------------------------------------------------------------------------

    def render_done(self, form, **kwargs):
        """formtools' render_done, except that storage is reset only when done() succeeded.

        formtools resets it unconditionally (jazzband/django-formtools#61), which would throw
        away every step when step 4 re-renders an R5–R9 error.
        """
        final_forms = OrderedDict()
        for form_key in self.get_form_list():
            form_obj = self.get_form(
                step=form_key,
                data=self.storage.get_step_data(form_key),
                files=self.storage.get_step_files(form_key),
            )
            if not form_obj.is_valid():
                return self.render_revalidation_failure(form_key, form_obj, **kwargs)
            final_forms[form_key] = form_obj
        response = self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)
        if getattr(response, "wizard_succeeded", False):
            self.storage.reset()
        return response

    def done(self, form_list, form_dict=None, **kwargs):
        try:
            campaign = create_from_wizard(self, form_dict)
        except ValidationError as error:
            return self.render(form_dict["send"], send_errors=send_errors(error))
        response = redirect("campaigns:detail", pk=campaign.pk)
        response.wizard_succeeded = True
        return response


def create_from_wizard(wizard: CampaignWizard, forms: dict) -> Campaign:
    audience, content = forms["audience"].cleaned_data, forms["content"].cleaned_data
    token = audience.get("upload_token")
    storage = upload_storage()
    common = {
        "bot": wizard.bot,
        "created_by": wizard.request.user,
        "name": audience["name"],
        "kind": audience["kind"],
        "template": content["template"],
        "parameters": content["parameters"],
        "scheduled_at": forms["send"].cleaned_data["scheduled_at"],
        **forms["routing"].routing_fields(),
    }
    if audience["kind"] == Campaign.Kind.INDIVIDUAL:
        member = AudienceMember(phone=audience["phone"], name=audience["contact_name"])
        return campaign_create(**common, audience=[member])
    rows_total = wizard.scan.get("total_rows", 0)
    if rows_total > inline_max_rows():
        # Too many rows for one request (gunicorn kills it at 30 s): a Celery task imports them.
        with storage.open(token, "rb") as fileobj:
            campaign = campaign_create_importing(
                **common, audience_file=File(fileobj), rows_total=rows_total
            )
        transaction.on_commit(lambda: storage.delete(token))
        return campaign
    with storage.open(token, "rb") as fileobj:
        rows = rows_to_import(AudienceParser(fileobj), content["parameters"])
        members = (
            AudienceMember(phone=r.phone, extras=r.extras) if hasattr(r, "phone") else r
            for r in rows
        )
        campaign = campaign_create(**common, audience=members)
    storage.delete(token)
    return campaign


def inline_max_rows() -> int:
    return getattr(settings, "AUDIENCE_INLINE_MAX_ROWS", AUDIENCE_INLINE_MAX_ROWS)


def send_errors(error: ValidationError) -> list[dict]:
    """Each error with its code and the step that fixes it, for step 4's error box."""
    items = []
    by_field = error.error_dict if hasattr(error, "error_dict") else {"__all__": error.error_list}
    for field, errors in by_field.items():
        step = FIELD_STEP.get(field, "send")
        for item in errors:
            for message in item:
                items.append(
                    {
                        "code": item.code or "",
                        "message": message,
                        "step": step,
                        "step_number": list(STEP_LABELS).index(step) + 1,
                        "step_label": STEP_LABELS[step],
                    }
                )
    return items


def portal_context_for(wizard: CampaignWizard, form) -> dict:
    current = wizard.steps.current
    context = {
        "portal_section": "campaigns",
        "title": _("New campaign"),
        "step_list": [
            {"name": n, "label": label, "number": i}
            for i, (n, label) in enumerate(STEP_LABELS.items(), start=1)
        ],
        "kind": wizard.kind,
        "scan": wizard.scan,
        "TIME_ZONE_NAME": timezone.get_current_timezone_name(),
    }
    if current == "content":
        templates = selectors.approved_templates(bot=wizard.bot)
        context["templates_json"] = {str(t.pk): template_preview_data(t) for t in templates}
    if current == "routing":
        context["options"] = selectors.routing_options(bot=wizard.bot)
    if current == "send":
        audience = wizard.get_cleaned_data_for_step("audience") or {}
        context["summary"] = {
            "audience": audience,
            "content": wizard.get_cleaned_data_for_step("content") or {},
            **wizard.routing_summary(),
        }
        context["budget"] = audience_budget(wizard, audience)
    return context


def audience_budget(wizard: CampaignWizard, audience: dict) -> BudgetPreview:
    """How many of this campaign's contacts fit in the bot's messaging window now (R26)."""
    if wizard.kind != Campaign.Kind.BULK:
        phone = audience.get("phone")
        return budget_preview(bot=wizard.bot, audience=1, phones=lambda: [phone] if phone else [])
    scan, token = wizard.scan, audience.get("upload_token")
    size = max(0, scan.get("valid_rows", 0) - scan.get("opted_out", 0))
    phones = upload_phones(upload_storage(), token) if token else None
    return budget_preview(bot=wizard.bot, audience=size, phones=phones)


def template_preview_data(template) -> dict:
    return {
        "name": template.name,
        "header_type": template.header_type,
        "header_text": template.header_text,
        "body": template.body,
        "footer": template.footer,
        "buttons": list(template.buttons or []),
        "variables": template.variable_count,
        "media_header": template.has_media_header,
        "url_button": template.url_button_index is not None,
    }
