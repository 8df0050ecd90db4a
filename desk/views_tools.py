"""Thin views for the attendant's tools: heartbeat, on hold, internal notes (R24, R25).

Each renders nothing of its own: the ticket page (and the future workspace) include the partials
``desk/_ticket_tools.html``, ``desk/_close_form.html`` and ``desk/_quick_replies.html`` with
``selectors.ticket_tools``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import View

from desk import selectors, services
from desk.inactivity import ticket_set_hold
from desk.models import Ticket
from desk.notes import ticket_note_add
from desk.views import DeskMixin, TicketMixin, flash_error


class HeartbeatView(DeskMixin, View):
    """The open Desk page says it is still there (R21: auto-Offline when it stops)."""

    def post(self, request, *args, **kwargs):
        attendant = self.chosen_attendant()
        if attendant is None:
            raise Http404
        services.attendant_heartbeat(attendant=attendant)
        return HttpResponse(status=204)


class TicketActionMixin(TicketMixin):
    def acting_ticket(self) -> Ticket:
        ticket = self.get_ticket()
        if not (
            self.is_mine(ticket) or selectors.is_supervisor(user=self.request.user, bot=self.bot)
        ):
            raise Http404
        return ticket


class TicketHoldView(TicketActionMixin, View):
    def post(self, request, *args, **kwargs):
        ticket = self.acting_ticket()
        on_hold = request.POST.get("on_hold") == "1"
        try:
            ticket_set_hold(ticket=ticket, on_hold=on_hold)
        except ValidationError as exc:
            flash_error(request, exc)
        else:
            text = (
                _("Ticket on hold: it will not be closed for inactivity.")
                if on_hold
                else _("Ticket off hold: the inactivity timers apply again.")
            )
            messages.success(request, text, extra_tags="hold")
        return redirect(self.ticket_url(ticket))


class TicketNoteView(TicketActionMixin, View):
    def post(self, request, *args, **kwargs):
        ticket = self.acting_ticket()
        try:
            ticket_note_add(ticket=ticket, author=request.user, text=request.POST.get("text", ""))
        except ValidationError as exc:
            flash_error(request, exc)
        else:
            messages.success(
                request, _("Note added. The customer does not see it."), extra_tags="note"
            )
        return redirect(self.ticket_url(ticket))
