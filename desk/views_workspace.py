"""The attendant's workspace: three panes (my tickets and queue, the conversation, the details).

``/desk/`` shows the left pane alone; ``/desk/<bot>/tickets/<pk>/`` fills the centre and the right.
The left pane and the conversation are refresh regions (``desk/live.js``): fetched again when a
socket event concerns them, polled only while the socket is down.
"""

import unicodedata

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from bots.phones import format_phone
from bots.templatetags.portal_format import person, waited
from desk import selectors, services, workspace
from desk.assignment import desk_settings_for
from desk.live.urls import attendant_socket_path, supervisor_socket_path
from desk.models import Attendant, TicketStatus
from desk.views import DeskMixin, TicketMixin, reply_blocker


def _preview(text: str | None, limit: int = 90) -> str:
    """``text|default:""|truncatechars:90``, without the Truncator for the short ones."""
    text = unicodedata.normalize("NFC", text or "")
    return text if len(text) <= limit else Truncator(text).chars(limit)


def _moment(value) -> tuple[str, str]:
    """``value|date:'c'`` and ``value|waited``: the machine's and the reader's time."""
    if value is None:
        return "", ""
    return timezone.localtime(value).isoformat(), waited(value)


def _label_rows(tickets: list, queue: list) -> None:
    """What each row of the left pane prints, computed once here: filters and lookups in a
    template loop cost several times more than the same calls in Python."""
    for t in tickets:
        t.name, t.phone_label = person(t.contact), format_phone(t.contact.phone or "")
        t.preview = _preview(t.last_text)
        t.waiting_iso, t.waiting_label = _moment(t.waiting_since)
    for t in queue:
        t.name, t.preview = person(t.contact), _preview(t.last_text)
        t.created_iso, t.created_label = _moment(t.created_at)


def list_context(attendant: Attendant | None, active_ticket=None) -> dict:
    """The left pane: my open tickets, then the queue I may take, with its counts."""
    if attendant is None:
        return {"attendant": None}
    tickets, queue, counts = workspace.left_pane(attendant=attendant)
    _label_rows(tickets, queue)
    return {
        "attendant": attendant,
        "tickets": tickets,
        "queue": queue,
        "active_ticket_id": active_ticket.pk if active_ticket else None,
        "waiting_directed": counts["directed"],
        "waiting_teams": counts["teams"],
        "slots_free": max(attendant.slots - len(tickets), 0),
        "unanswered_total": sum(t.unanswered for t in tickets),
    }


def status_context(attendant: Attendant | None, reasons: list | None = None) -> dict:
    """The status picker (pause reasons of the bot), its timer, and the Desk's distribution mode.

    ``reasons``: the attendant's bot's active pause reasons as (pk, name), if read already."""
    if attendant is None:
        return {"statuses": Attendant.Status.choices}
    return {
        "statuses": selectors.status_choices(attendant=attendant, reasons=reasons),
        "status_value": selectors.status_value(attendant=attendant),
        "desk_settings": desk_settings_for(bot_id=attendant.bot_id),
    }


class WorkspaceMixin(DeskMixin):
    template_name = "desk/workspace.html"

    def workspace_context(
        self, attendant: Attendant | None, ticket=None, reasons: list | None = None
    ) -> dict:
        list_url = reverse("desk:home_fragment")
        if attendant is not None:
            list_url += f"?attendant={attendant.pk}" + (f"&ticket={ticket.pk}" if ticket else "")
        return {
            "attendant": attendant,
            "my_attendants": self.my_attendants(),
            "list_url": list_url,
            **status_context(attendant, reasons),
            "attendant_actions": workspace.attendant_actions(attendant=attendant),
            **list_context(attendant, ticket),
        }


class HomeView(WorkspaceMixin, TemplateView):
    """The workspace with no conversation chosen yet."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attendant = self.chosen_attendant()
        context.update(self.workspace_context(attendant))
        context.update(
            title=_("Desk"),
            desk_socket=attendant
            and attendant_socket_path(bot_slug=self.bot.slug, attendant_id=attendant.pk),
        )
        return context


class HomeFragmentView(DeskMixin, TemplateView):
    """The left pane alone (a refresh region)."""

    template_name = "desk/_workspace_list.html"

    def get_context_data(self, **kwargs):
        ticket_id = self.request.GET.get("ticket", "")
        active = type("Active", (), {"pk": int(ticket_id)}) if ticket_id.isdigit() else None
        return {"portal_bot": self.bot, **list_context(self.chosen_attendant(), active)}


class TicketView(TicketMixin, WorkspaceMixin, TemplateView):
    """The workspace with one ticket's conversation and details."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The user's profiles were read by the super(); the ticket's people come with the
        # transfer list (every attendant of its Desk) instead of three joins.
        mine_all = self.my_attendants()
        ticket = self.get_ticket(attendants=mine_all, related=("contact",))
        people = workspace.desk_people(bot_id=ticket.bot_id)
        workspace.attach_people(ticket, people)
        me = self.my_attendant_on(ticket)
        # Its bot (the details name its Desk): my profile's there, or the page's; else read.
        bot = me.bot if me is not None else self.bot if self.bot.pk == ticket.bot_id else None
        if bot is not None:
            ticket.bot = bot
        mine = self.is_mine(ticket)
        # Its Desk's teams, pause reasons, closing tags and quick replies: one statement.
        catalog = workspace.ticket_catalog(ticket=ticket, replies=mine)
        team = next((t for t in catalog.teams if t.pk == ticket.team_id), None)
        if team is not None:  # its team is one of them: no join for its name
            ticket.team = team
        window_open = services.reply_window_open(contact=ticket.contact)
        supervisor = context["is_supervisor"]
        teams, attendants = workspace.transfer_choices(
            ticket=ticket, me=me, people=people, teams=catalog.teams
        )
        # ``me`` is on the ticket's Desk: the catalog's pause reasons are its bot's.
        context.update(self.workspace_context(me, ticket, catalog.pause_reasons))
        context.update(
            title=_("Ticket #%(number)s") % {"number": ticket.sequence},
            ticket=ticket,
            history=selectors.conversation(contact=ticket.contact, routing=False, people=people),
            can_reply=mine and ticket.status == TicketStatus.OPEN and window_open,
            reply_blocker=reply_blocker(ticket, mine=mine, window_open=window_open),
            can_act=ticket.is_active and (mine or supervisor),
            can_close=ticket.status == TicketStatus.OPEN and (mine or supervisor),
            teams=teams,
            attendants=attendants,
            previous=workspace.previous_tickets(ticket=ticket, people=people),
            reached_by=workspace.reached_by(contact=ticket.contact),
            contact_actions=workspace.attendant_actions(attendant=me, contact=ticket.contact),
            desk_socket=self.socket_for(me, supervisor=supervisor),
        )
        # Closing tags, notes, quick replies, on hold (R24, R25).
        # The status picker read the Desk settings already when ``me`` is on the ticket's Desk.
        settings = context.get("desk_settings")
        context.update(
            selectors.ticket_tools(
                ticket=ticket,
                mine=mine,
                is_supervisor=supervisor,
                settings=settings if settings and settings.bot_id == ticket.bot_id else None,
                catalog=catalog,
            )
        )
        return context

    def my_attendant_on(self, ticket) -> Attendant | None:
        return next((a for a in self.my_attendants() if a.bot_id == ticket.bot_id), None)

    def socket_for(self, me: Attendant | None, *, supervisor: bool) -> str | None:
        """The viewer's own attendant socket on the ticket's Desk, else the supervisors' one."""
        if me is not None:
            return attendant_socket_path(bot_slug=self.bot.slug, attendant_id=me.pk)
        return supervisor_socket_path(bot_slug=self.bot.slug) if supervisor else None
