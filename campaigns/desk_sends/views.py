"""The attendant's pages: a new active message (two steps) and *Sent by me*.

Both are Desk pages (``DeskMixin``: the current bot's Desk, the attendant's own profiles) and
answer 404 to anyone who is not an attendant allowed to send from the Desk.
"""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.generic import ListView, TemplateView

from campaigns.desk_sends import forms as f
from campaigns.desk_sends import selectors
from campaigns.desk_sends.services import DeskSendTarget, desk_send_create
from campaigns.models import MessageTemplate, Recipient
from desk.models import Attendant
from desk.views import DeskMixin

SENT_PER_PAGE = 20


class DeskSendMixin(DeskMixin):
    desk_page = "desk_send"

    @cached_property
    def senders(self) -> list[Attendant]:
        return selectors.allowed_attendants(attendants=self.my_attendants())

    @cached_property
    def sender(self) -> Attendant:
        """The user's allowed attendant profile asked for (``?attendant=``), else the first."""
        wanted = self.request.GET.get("attendant") or self.request.POST.get("attendant")
        if wanted:
            chosen = next((a for a in self.senders if str(a.pk) == str(wanted)), None)
        else:
            chosen = self.senders[0] if self.senders else None
        if chosen is None:
            raise Http404
        return chosen

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sender=self.sender, senders=self.senders, cap=selectors.cap_for(bot=self.bot)
        )
        return context


class DeskSendNewView(DeskSendMixin, TemplateView):
    template_name = "campaigns/desk_sends/new.html"
    extra_context = {"title": _lazy("New active message")}

    def get(self, request, *args, **kwargs):
        contact = request.GET.get("contact", "")
        initial = {"contacts": [int(contact)]} if contact.isdigit() else {}
        return self.render_to_response(self.get_context_data(choose=self._choose(initial=initial)))

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action in ("fill", "send", "back"):
            template = self._posted_template()
            if template is not None:
                return getattr(self, f"_{action}")(template)
        form = self._choose(data=request.POST)
        if not form.is_valid():
            return self._step1(form)
        return self._step2(form.cleaned_data["template"], form.rows, sources=None)

    # --- steps --------------------------------------------------------------------------

    def _choose(self, **kwargs) -> f.ChooseForm:
        return f.ChooseForm(
            bot=self.bot,
            templates=selectors.templates_for(attendant=self.sender),
            recent=selectors.recent_contacts(attendant=self.sender),
            prefix="choose",
            **kwargs,
        )

    def _step1(self, form):
        return self.render_to_response(self.get_context_data(choose=form))

    def _step2(self, template, rows, *, sources, formset=None, errors=()):
        parts = f.template_parts(template)
        defaults = f.DefaultsForm(
            sources, parts=parts, rows=rows, initial=f.default_sources(parts, rows), prefix="d"
        )
        if formset is None:
            f.fill(rows, parts, defaults.sources())
            formset = f.RowFormSet(
                initial=[{"phone": r.phone, "identity": r.identity, **r.values} for r in rows],
                form_kwargs={"parts": parts},
                prefix="rows",
            )
        context = self.get_context_data(
            template=template,
            parts=parts,
            defaults=defaults,
            formset=formset,
            lines=[
                (form, row, f.preview(template, row))
                for form, row in zip(formset, rows, strict=False)
            ],
            send_errors=errors,
        )
        return self.render_to_response(context)

    def _posted_template(self) -> MessageTemplate | None:
        pk = self.request.POST.get("template", "")
        templates = selectors.templates_for(attendant=self.sender)
        return templates.filter(pk=pk).first() if pk.isdigit() else None

    def _posted_rows(self, template) -> tuple[f.RowFormSet, list[f.Row]]:
        formset = f.RowFormSet(
            self.request.POST, form_kwargs={"parts": f.template_parts(template)}, prefix="rows"
        )
        rows = [f.Row(**row) for row in f.posted_rows(formset)]
        f.known_contacts(bot=self.bot, rows=rows)
        return formset, rows

    def _fill(self, template):
        _formset, rows = self._posted_rows(template)
        return self._step2(template, rows, sources=self.request.POST)

    def _back(self, template):
        _formset, rows = self._posted_rows(template)
        recent = {c.pk for c in selectors.recent_contacts(attendant=self.sender)}
        picked = [r.contact.pk for r in rows if r.contact and r.contact.pk in recent]
        typed = [r.identity or r.phone for r in rows if not (r.contact and r.contact.pk in recent)]
        initial = {"template": template.pk, "contacts": picked, "phones": "\n".join(typed)}
        return self._step1(self._choose(initial=initial))

    def _send(self, template):
        formset, rows = self._posted_rows(template)
        if not formset.is_valid():
            return self._step2(template, rows, sources=self.request.POST, formset=formset)
        targets = [
            DeskSendTarget(
                phone=r.phone,
                identity=r.identity,
                name=r.values.get("name", ""),
                parameters=f.parameters_of(r.values, template),
            )
            for r in rows
        ]
        try:
            sends = desk_send_create(attendant=self.sender, template=template, targets=targets)
        except ValidationError as error:
            errors = f.attach_errors(formset, error)
            return self._step2(
                template, rows, sources=self.request.POST, formset=formset, errors=errors
            )
        messages.success(
            self.request,
            ngettext(
                "Active message sent to %(n)d contact. Replies within 24 hours come to you.",
                "Active message sent to %(n)d contacts. Replies within 24 hours come to you.",
                len(sends),
            )
            % {"n": len(sends)},
            extra_tags="desk_sent",
        )
        return redirect(f"{reverse('desk_sends:list')}?attendant={self.sender.pk}")


class DeskSentListView(DeskSendMixin, ListView):
    """*Sent by me*: the attendant's Desk messages with their recipients' statuses."""

    template_name = "campaigns/desk_sends/list.html"
    paginate_by = SENT_PER_PAGE
    context_object_name = "sends"

    def get_queryset(self):
        sends = selectors.sent_by(attendant_ids=[self.sender.pk])
        status = self.request.GET.get("status", "")
        if status in Recipient.Status.values:
            sends = sends.filter(campaign__recipients__status=status)
        return sends

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        context.update(
            title=_("Sent by me"),
            statuses=Recipient.Status.choices,
            status=status if status in Recipient.Status.values else "",
            page_query=f"attendant={self.sender.pk}" + (f"&status={status}" if status else ""),
            rows=selectors.sent_rows(sends=context["sends"], attendant=self.sender),
        )
        return context
