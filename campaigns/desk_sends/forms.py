"""The Desk send's two steps: 1 the template and the contacts, 2 the values for each contact.

Step 1 reads phones (any notation, or a WhatsApp identity) and contacts of the attendant's
tickets, and says at once which contact cannot receive (opted out, cap reached). Step 2 offers,
for each variable of the template, where its value comes from (the contact's name, one of its
extras, the same text for everyone) and lets the attendant change any cell before sending.
"""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bots.models import Bot, Contact
from bots.phones import format_phone, phone_forms
from campaigns import validation
from campaigns.desk_sends import services
from campaigns.desk_sends.selectors import cap_for, contact_label
from campaigns.individual import address_from_text, recipient_address
from campaigns.models import MessageTemplate
from campaigns.sending.render import render_body

LINE_PROBLEM = "%(line)s — %(problem)s"


@dataclass
class Row:
    """One contact of the send: where to send it and, if the bot knows them, who they are."""

    phone: str
    identity: str = ""
    contact: Contact | None = None
    values: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return contact_label(self.contact) if self.contact else format_phone(self.phone)


@dataclass(frozen=True)
class Part:
    """Something of the template each contact needs a value for: {{n}}, the media, the URL."""

    key: str
    label: str


def template_parts(template: MessageTemplate) -> list[Part]:
    parts = [
        Part(f"var_{n}", _("Variable {{%(n)d}}") % {"n": n})
        for n in range(1, template.variable_count + 1)
    ]
    if template.has_media_header:
        parts.append(Part("header", _("Media address of the header")))
    if template.url_button_index is not None:
        parts.append(Part("button", _("End of the button's address")))
    return parts


def parameters_of(values: dict[str, str], template: MessageTemplate) -> dict:
    """The campaign's individual parameters from one row's values."""
    return {
        "body": [values.get(f"var_{n}", "").strip() for n in range(1, template.variable_count + 1)],
        "header": values.get("header", "").strip() or None,
        "button": values.get("button", "").strip() or None,
    }


def posted_rows(formset) -> list[dict]:
    """The rows step 2 posted back, read before validation (to fill them, or to go back).

    A row whose hidden address is not one any more (edited by hand) is left out.
    """
    rows = []
    for form in formset.forms:
        raw = {name: form.data.get(form.add_prefix(name), "") for name in form.fields}
        try:
            phone, identity = recipient_address(
                phone=raw.pop("phone"), identity=raw.pop("identity")
            )
        except ValidationError:
            continue
        rows.append({"phone": phone, "identity": identity, "values": raw})
    return rows


def attach_errors(formset, error: ValidationError) -> list[tuple[str, str]]:
    """A refused send's errors: each contact's on its row, the rest as (code, sentence)."""
    page: list[tuple[str, str]] = []
    fields = (
        error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.error_list)]
    )
    for name, errors in fields:
        for problem in errors:
            index = (problem.params or {}).get("index")
            if name == "contacts" and index is not None and index < len(formset.forms):
                formset.forms[index].add_error(None, problem)
            else:
                page.append((problem.code or "", " ".join(problem.messages)))
    return page


def known_contacts(*, bot: Bot, rows: list[Row]) -> None:
    """Fill each row's contact when the bot has one for its phone or identity (R18), read only."""
    lookup = Q()
    for row in rows:
        lookup |= Q(phone__in=phone_forms(row.phone))
        if row.identity:
            lookup |= Q(whatsapp_identity=row.identity)
    if not rows:
        return
    found = list(Contact.objects.filter(lookup, bot=bot.top_level))
    for row in rows:
        forms_ = set(phone_forms(row.phone))
        row.contact = next(
            (c for c in found if row.identity and c.whatsapp_identity == row.identity),
            next((c for c in found if c.phone in forms_), None),
        )


class ChooseForm(forms.Form):
    template = forms.ModelChoiceField(
        label=gettext_lazy("Approved template"),
        queryset=MessageTemplate.objects.none(),
        empty_label=gettext_lazy("— choose —"),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Customers you attended"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    phones = forms.CharField(
        label=gettext_lazy("Other phones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "(11) 98765-4321"}),
        help_text=gettext_lazy(
            "One per line, in any notation (+55 11 98765-4321, (11) 98765-4321) or a WhatsApp "
            "identity."
        ),
    )

    def __init__(self, *args, bot: Bot, templates, recent: list[Contact], **kwargs):
        super().__init__(*args, **kwargs)
        self.bot = bot
        self.fields["template"].queryset = templates
        self.recent = recent
        self.fields["contacts"].queryset = Contact.objects.filter(pk__in=[c.pk for c in recent])
        self.fields["contacts"].choices = [(c.pk, contact_label(c)) for c in recent]
        self.rows: list[Row] = []

    def clean(self):
        data = super().clean()
        picked = {c.pk for c in data.get("contacts") or []}
        rows = [Row(phone=c.phone, identity="", contact=c) for c in self.recent if c.pk in picked]
        rows += self._typed_rows(data.get("phones") or "")
        known_contacts(bot=self.bot, rows=[r for r in rows if r.contact is None])
        self.rows = _unique(rows)
        if "phones" not in self.errors:
            self._check_rows()
        return data

    def _typed_rows(self, text: str) -> list[Row]:
        rows = []
        for line in (raw.strip() for raw in text.splitlines()):
            if not line:
                continue
            try:
                phone, identity = address_from_text(line)
            except ValidationError as error:
                for problem in (p for ps in error.error_dict.values() for p in ps):
                    message = problem.message % (problem.params or {})
                    self.add_error(
                        "phones",
                        ValidationError(
                            LINE_PROBLEM % {"line": line, "problem": message},
                            code=problem.code,
                        ),
                    )
                continue
            rows.append(Row(phone=phone, identity=identity))
        return rows

    def _check_rows(self) -> None:
        try:
            services.check_count(self.rows)
        except ValidationError as error:
            self.add_error(None, error.error_dict["contacts"])
            return
        cap, now = cap_for(bot=self.bot), timezone.now()
        for row in self.rows:
            for problem in self._row_problems(row, cap=cap, now=now):
                self.add_error(None, problem)

    def _row_problems(self, row: Row, *, cap, now) -> list[ValidationError]:
        if row.contact is None:
            return []  # a new contact: nothing sent to them yet
        problems = []
        try:
            validation.check_contact_reachable(bot=self.bot, phone=row.contact.phone)
        except ValidationError as error:
            problems.extend(error.error_dict["phone"])
        cap_error = services.cap_error(row.contact, cap=cap, now=now)
        if cap_error is not None:
            problems.append(cap_error)
        return [services.for_contact(p, contact=row.contact, index=0) for p in problems]


def _unique(rows: list[Row]) -> list[Row]:
    """Each person once: the same contact, or the same phone, picked and typed is one row."""
    seen: set = set()
    unique = []
    for row in rows:
        key = ("contact", row.contact.pk) if row.contact else ("phone", row.phone)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


class RowForm(forms.Form):
    """One contact's line in step 2: its address (hidden), a name if the bot has none, values."""

    phone = forms.CharField(widget=forms.HiddenInput)
    identity = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=200)

    def __init__(self, *args, parts: list[Part], **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = parts
        for part in parts:
            widget = forms.TextInput(attrs={"aria-label": part.label})
            self.fields[part.key] = forms.CharField(
                label=part.label, required=False, max_length=1000, widget=widget
            )

    @property
    def part_fields(self):
        return [self[p.key] for p in self.parts]


RowFormSet = forms.formset_factory(
    RowForm, extra=0, max_num=services.MAX_CONTACTS, absolute_max=services.MAX_CONTACTS
)


class Source:
    """Where a part's value comes from, for every contact at once."""

    TYPED = ""
    FIRST_NAME = "first_name"
    NAME = "name"
    SAME = "same"
    EXTRA = "extra:"


class DefaultsForm(forms.Form):
    """For each part of the template: fill it from the contact, or the same text for everyone."""

    def __init__(self, *args, parts: list[Part], rows: list[Row], **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = parts
        extras = sorted({k for r in rows if r.contact for k in (r.contact.extras or {})})
        choices = [
            (Source.TYPED, _("Type it for each contact")),
            (Source.FIRST_NAME, _("The contact's first name")),
            (Source.NAME, _("The contact's full name")),
            *[
                (f"{Source.EXTRA}{key}", _("The contact's field %(key)s") % {"key": key})
                for key in extras
            ],
            (Source.SAME, _("The same text for everyone:")),
        ]
        for part in parts:
            self.fields[f"source_{part.key}"] = forms.ChoiceField(
                label=part.label, choices=choices, required=False
            )
            self.fields[f"text_{part.key}"] = forms.CharField(
                label=_("Text for everyone"), required=False, max_length=1000
            )

    def pairs(self):
        return [(p, self[f"source_{p.key}"], self[f"text_{p.key}"]) for p in self.parts]

    def sources(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else self.initial
        return {
            p.key: (data.get(f"source_{p.key}") or "", data.get(f"text_{p.key}") or "")
            for p in self.parts
        }


def default_sources(parts: list[Part], rows: list[Row]) -> dict[str, str]:
    """What step 2 starts with: {{1}} is the contact's first name, when the contacts have names."""
    named = any(r.contact and r.contact.name for r in rows)
    if named and parts and parts[0].key == "var_1":
        return {"source_var_1": Source.FIRST_NAME}
    return {}


def value_from(source: str, text: str, row: Row, current: str) -> str:
    """A part's value for one row: from its source, or what is there already when typed."""
    contact = row.contact
    name = (contact.name if contact else "") or row.values.get("name", "")
    if source == Source.FIRST_NAME:
        return name.split()[0] if name.split() else ""
    if source == Source.NAME:
        return name
    if source == Source.SAME:
        return text
    if source.startswith(Source.EXTRA):
        return str(
            ((contact.extras if contact else None) or {}).get(source[len(Source.EXTRA) :], "")
        )
    return current


def fill(rows: list[Row], parts: list[Part], sources: dict[str, tuple[str, str]]) -> None:
    for row in rows:
        for part in parts:
            source, text = sources.get(part.key, ("", ""))
            row.values[part.key] = value_from(source, text, row, row.values.get(part.key, ""))


def preview(template: MessageTemplate, row: Row) -> str:
    return render_body(template, parameters_of(row.values, template))
