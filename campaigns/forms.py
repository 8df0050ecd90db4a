"""The four wizard steps: parsing and per-step validation, each error with a stable code."""

import datetime as dt
import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bots.models import Bot
from bots.phones import InvalidPhone, normalize_phone
from campaigns import selectors
from campaigns.audience import AudienceFileError, scan_audience
from campaigns.empty_cells import EmptyCellsCheck
from campaigns.models import Campaign, MessageTemplate
from campaigns.models.campaign import FALLBACK_MAX_MINUTES
from campaigns.validation import (
    BLOCK_OTHER_BOT,
    COLUMN_UNKNOWN,
    R3_ROUTING_INCOMPLETE,
    R4_SUB_BOT_REQUIRED,
    R6_ATTENDANT_BULK,
    R16_CONTACT_OPTED_OUT,
    R22_FALLBACK_MINUTES,
    TEAM_OTHER_BOT,
    check_contact_reachable,
    check_schedule,
)

# Stable codes of the step forms (tests and the templates rely on them).
PHONE_OPTED_OUT = R16_CONTACT_OPTED_OUT
FILE_REQUIRED = "R16_file_required"
NO_VALID_ROWS = "R16_no_valid_rows"
BAD_ROWS_NOT_SKIPPED = "R16_bad_rows_not_skipped"
VARIABLE_MISSING = "template_variable_missing"
HEADER_MISSING = "template_header_missing"
BUTTON_MISSING = "template_button_missing"
SCHEDULE_INCOMPLETE = "schedule_incomplete"

_TOKEN = re.compile(r"[0-9a-f]{32}\.csv")

# Parser codes (campaigns.audience) as operators read them.
AUDIENCE_MESSAGES = {
    "phone_empty": _("The phone is empty."),
    "phone_invalid": _("%(value)s is not a valid phone number."),
    "duplicate_phone": _("%(phone)s already appears on line %(first_line)s."),
    "wrong_column_count": _("Expected %(expected)s columns, found %(found)s."),
    "row_malformed": _("The row is malformed (an unclosed quote?)."),
    "file_empty": _("The file is empty."),
    "file_binary": _("This is not a CSV text file (a spreadsheet?): export it as CSV."),
    "file_encoding": _("Unknown text encoding: save the file as UTF-8."),
    "header_missing": _("The first line must be the header (phone, name, …), not %(value)s."),
    "header_empty": _("Column %(column)s of the header has no name."),
    "header_special_chars": _(
        "Header %(name)s (column %(column)s): use letters, digits and _ only, no accents."
    ),
    "header_duplicate": _("Header %(name)s appears in columns %(first_column)s and %(column)s."),
}


def _error(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params)


class AudienceForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Send to"),
        choices=Campaign.Kind.choices,
        initial=Campaign.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        help_text=_("Any notation: +55 11 98765-4321, (11) 98765-4321, 0055…"),
    )
    contact_name = forms.CharField(label=_("Contact name (optional)"), required=False)
    audience_file = forms.FileField(
        label=_("CSV file"),
        required=False,
        allow_empty_file=True,  # the parser names the problem (file_empty)
        help_text=_("Comma or semicolon; first column the phone, a header row with plain names."),
    )
    upload_token = forms.CharField(required=False, widget=forms.HiddenInput)
    skip_bad_rows = forms.BooleanField(label=_("Skip the rows with errors"), required=False)

    def __init__(self, *args, bot: Bot, upload_storage, known_scan: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bot = bot
        self.upload_storage = upload_storage
        self.known_scan = known_scan or {}
        self.scan: dict | None = None
        self._upload_name = ""

    def clean(self):
        data = super().clean()
        if data.get("kind") == Campaign.Kind.BULK:
            self._clean_bulk(data)
        elif data.get("kind"):
            self._clean_individual(data)
        return data

    def _clean_individual(self, data) -> None:
        try:
            data["phone"] = normalize_phone(data.get("phone", ""))
        except InvalidPhone as exc:
            self.add_error("phone", _error(AUDIENCE_MESSAGES[exc.code], exc.code, value=exc.raw))
            return
        try:
            check_contact_reachable(bot=self.bot, phone=data["phone"])
        except ValidationError as error:
            self.add_error(None, error)

    def _clean_bulk(self, data) -> None:
        if "audience_file" in self.errors:
            return
        token = self._store_upload(data.get("audience_file")) or data.get("upload_token", "")
        if not _TOKEN.fullmatch(token or "") or not self.upload_storage.exists(token):
            self.add_error(
                "audience_file", _error(_("Choose the CSV file of the audience."), FILE_REQUIRED)
            )
            return
        data["upload_token"] = token
        scan = self.known_scan if self.known_scan.get("token") == token else None
        if scan is None:
            try:
                with self.upload_storage.open(token, "rb") as fileobj:
                    scan = scan_audience(
                        fileobj, opted_out=selectors.opted_out_phones(bot=self.bot)
                    )
            except AudienceFileError as exc:
                message = AUDIENCE_MESSAGES.get(exc.code, exc.code)
                self.add_error("audience_file", _error(message, exc.code, **exc.params))
                return
            scan["token"] = token
            scan["filename"] = self._upload_name or scan.get("filename", "")
        self.scan = scan
        if scan["valid_rows"] - scan["opted_out"] <= 0:
            self.add_error(
                "audience_file", _error(_("No row of the file can be sent to."), NO_VALID_ROWS)
            )
        elif scan["error_count"] and not data.get("skip_bad_rows"):
            self.add_error(
                "skip_bad_rows",
                _error(
                    _("The file has %(count)d rows with errors: fix the file or skip them."),
                    BAD_ROWS_NOT_SKIPPED,
                    count=scan["error_count"],
                ),
            )

    def _store_upload(self, upload) -> str:
        self._upload_name = upload.name if upload else ""
        if not upload:
            return ""
        token = self.upload_storage.save(f"{uuid.uuid4().hex}.csv", upload)
        # The page re-renders with the stored file's token, so a new choice (skip the bad rows)
        # does not make the operator upload the file again.
        self.data = self.data.copy()
        self.data[self.add_prefix("upload_token")] = token
        return token


class ContentForm(EmptyCellsCheck, forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=MessageTemplate.objects.none(), empty_label=_("— choose —")
    )
    header_url = forms.URLField(
        label=_("Media address of the header"), required=False, assume_scheme="https"
    )
    button_value = forms.CharField(label=_("End of the button's address"), required=False)
    header_column = forms.ChoiceField(
        label=_("Column with the header's media address"), required=False
    )
    button_column = forms.ChoiceField(
        label=_("Column with the end of the button's address"), required=False
    )

    def __init__(
        self,
        *args,
        bot: Bot,
        kind: str,
        columns: list[str],
        empty_cells: dict[str, int] | None = None,
        count_rows_missing=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind, self.columns = kind, columns
        # Bulk: empty cells per column (from step 1's scan), and how to count the rows missing
        # any of several columns (a second read of the file, only when one has empty cells).
        self.init_empty_cells(empty_cells, count_rows_missing)
        templates = selectors.approved_templates(bot=bot)
        self.fields["template"].queryset = templates
        self.max_variables = max([t.variable_count for t in templates] or [0])
        column_choices = [("", _("— column —"))] + [(c, c) for c in columns]
        for number in range(1, self.max_variables + 1):
            label = _("Variable {{%(n)d}}") % {"n": number}
            if kind == Campaign.Kind.BULK:
                field = forms.ChoiceField(label=label, required=False, choices=column_choices)
            else:
                field = forms.CharField(label=label, required=False, max_length=1000)
            self.fields[f"var_{number}"] = field
        self.fields["header_column"].choices = column_choices
        self.fields["button_column"].choices = column_choices

    @property
    def variable_fields(self):
        return [self[f"var_{n}"] for n in range(1, self.max_variables + 1)]

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is None:
            return data
        bulk = self.kind == Campaign.Kind.BULK
        body = [data.get(f"var_{n}", "").strip() for n in range(1, template.variable_count + 1)]
        for number, value in enumerate(body, start=1):
            if not value:
                self.add_error(
                    f"var_{number}",
                    _error(_("Fill in variable {{%(n)d}}."), VARIABLE_MISSING, n=number),
                )
        header = self._part(data, template.has_media_header, "header", HEADER_MISSING, bulk)
        button = self._part(
            data, template.url_button_index is not None, "button", BUTTON_MISSING, bulk
        )
        if bulk:
            for name in [*body, header, button]:
                if name and name not in self.columns:
                    self.add_error(
                        "template", _error(_("Unknown column %(name)s."), COLUMN_UNKNOWN, name=name)
                    )
        data["parameters"] = {"body": body, "header": header or None, "button": button or None}
        if bulk and not self.errors:
            self._check_empty_cells(data)
        return data

    def _part(self, data, needed: bool, part: str, code: str, bulk: bool) -> str:
        field = f"{part}_column" if bulk else ("header_url" if part == "header" else "button_value")
        value = (data.get(field) or "").strip() if needed else ""
        if needed and not value:
            message = {
                HEADER_MISSING: _("The template's media header needs a file address."),
                BUTTON_MISSING: _("The template's URL button needs the end of its address."),
            }[code]
            self.add_error(field, _error(message, code))
        return value


class RoutingForm(forms.Form):
    routing = forms.ChoiceField(
        label=_("Where the reply goes"), choices=Campaign.Routing.choices, widget=forms.RadioSelect
    )
    routing_bot = forms.ModelChoiceField(
        label=_("Sub-bot"), queryset=Bot.objects.none(), required=False, empty_label=_("— choose —")
    )
    flow_block = forms.ModelChoiceField(
        label=_("Flow block"),
        queryset=Bot.objects.none(),
        required=False,
        empty_label=_("— choose —"),
    )
    team = forms.ModelChoiceField(
        label=_("Desk team"),
        queryset=Bot.objects.none(),
        required=False,
        empty_label=_("— choose —"),
    )
    human_block = forms.ModelChoiceField(
        label=_("Human-attendance block"),
        queryset=Bot.objects.none(),
        required=False,
        empty_label=_("— choose —"),
    )
    attendant_email = forms.EmailField(label=_("Attendant's e-mail"), required=False)
    fallback = forms.ChoiceField(
        label=_("If the attendant cannot take the reply"),
        choices=Campaign.Fallback.choices,
        initial=Campaign.Fallback.WAIT,
        required=False,
        widget=forms.RadioSelect,
    )
    fallback_minutes = forms.IntegerField(
        label=_("Minutes"),
        required=False,
        min_value=1,
        max_value=FALLBACK_MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "15"}),
    )

    def __init__(self, *args, bot: Bot, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        from bots.models import FlowBlock
        from desk.models import Team

        self.bot, self.kind = bot, kind
        targets = selectors.routing_targets(bot=bot)
        self.fields["routing_bot"].queryset = targets
        self.fields["flow_block"].queryset = FlowBlock.objects.filter(bot__in=targets)
        self.fields["human_block"].queryset = FlowBlock.objects.filter(
            bot__in=targets, kind="human"
        )
        self.fields["team"].queryset = Team.objects.filter(bot__in=targets)
        if not bot.is_router:
            self.fields["routing_bot"].initial = bot.pk

    def clean(self):
        data = super().clean()
        routing = data.get("routing")
        target = data.get("routing_bot") or (None if self.bot.is_router else self.bot)
        data["routing_bot"] = target
        data["attendant_email"] = (data.get("attendant_email") or "").strip().lower()
        if routing == Campaign.Routing.ATTENDANT and self.kind == Campaign.Kind.BULK:
            self.add_error(
                "routing",
                _error(
                    _("Routing to an attendant is only for individual sends."), R6_ATTENDANT_BULK
                ),
            )
            return data
        if target is None:
            self.add_error(
                "routing_bot",
                _error(_("Choose the sub-bot that takes the reply."), R4_SUB_BOT_REQUIRED),
            )
            return data
        needed = {
            Campaign.Routing.FLOW: ["flow_block"],
            Campaign.Routing.TEAM: ["team"],
            Campaign.Routing.ATTENDANT: ["human_block", "attendant_email"],
        }.get(routing, [])
        for name in needed:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _error(_("This field is required."), R3_ROUTING_INCOMPLETE))
        for name in ("flow_block", "human_block"):
            if name in needed and data.get(name) and data[name].bot_id != target.pk:
                self.add_error(
                    name, _error(_("This block is not in the chosen bot's flow."), BLOCK_OTHER_BOT)
                )
        if "team" in needed and data.get("team") and data["team"].bot_id != target.pk:
            self.add_error(
                "team", _error(_("This team is not a Desk team of the chosen bot."), TEAM_OTHER_BOT)
            )
        self._clean_fallback(data, attendant=routing == Campaign.Routing.ATTENDANT)
        return data

    def _clean_fallback(self, data, *, attendant: bool) -> None:
        """R22: wait for the attendant (default), or hand over to their team after N minutes."""
        if not attendant or data.get("fallback") != Campaign.Fallback.TEAM:
            data["fallback"], data["fallback_minutes"] = Campaign.Fallback.WAIT, None
        elif not data.get("fallback_minutes") and "fallback_minutes" not in self.errors:
            self.add_error(
                "fallback_minutes",
                _error(
                    _("Enter after how many minutes the attendant's team takes the reply."),
                    R22_FALLBACK_MINUTES,
                ),
            )

    def routing_fields(self) -> dict:
        """The campaign's routing columns from this (valid) form."""
        data = self.cleaned_data
        routing = data["routing"]
        block = {
            Campaign.Routing.FLOW: data.get("flow_block"),
            Campaign.Routing.ATTENDANT: data.get("human_block"),
        }.get(routing)
        return {
            "routing": routing,
            "routing_bot": data["routing_bot"],
            "flow_block": block,
            "team": data.get("team") if routing == Campaign.Routing.TEAM else None,
            "attendant_email": data["attendant_email"]
            if routing == Campaign.Routing.ATTENDANT
            else "",
            "fallback": data.get("fallback") or Campaign.Fallback.WAIT,
            "fallback_minutes": data.get("fallback_minutes"),
        }


class SendForm(forms.Form):
    NOW, SCHEDULE = "now", "schedule"
    when = forms.ChoiceField(
        label=_("When"),
        choices=[(NOW, _("Send now")), (SCHEDULE, _("Schedule"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )
    date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self):
        data = super().clean()
        data["scheduled_at"] = None
        if data.get("when") != self.SCHEDULE:
            return data
        if not data.get("date") or not data.get("time"):
            raise _error(_("Choose the date and the time."), SCHEDULE_INCOMPLETE)
        moment = timezone.make_aware(
            dt.datetime.combine(data["date"], data["time"]), timezone.get_current_timezone()
        )
        try:
            check_schedule(scheduled_at=moment)
        except ValidationError as error:
            raise ValidationError(error.error_dict["scheduled_at"]) from None
        data["scheduled_at"] = moment
        return data
