"""The Desk's actions (status, attend, reply, transfer, close) and the supervisor's view.

The attendant's workspace pages (home, ticket) are ``desk.views_workspace``.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from bots.access import has_role
from bots.errors import error_codes
from bots.portal import CAMPAIGN_ROLES, PortalMixin
from desk import selectors, services
from desk.live.urls import supervisor_socket_path
from desk.models import Attendant, TicketStatus


def flash_error(request, error: ValidationError) -> None:
    """Show a service's refusal; its codes ride along as CSS classes for tests and styling."""
    messages.error(
        request, " ".join(error.messages), extra_tags=" ".join(sorted(error_codes(error)))
    )


# The contact simulator speaks as any contact of the bot: a tool for operators, not attendants.
SIMULATOR_ROLES = CAMPAIGN_ROLES


def desk_nav_context(request, bot, page: str) -> dict:
    return {
        "portal_section": "desk",
        "desk_page": page,
        "is_supervisor": selectors.is_supervisor(user=request.user, bot=bot),
        "desk_socket_base": settings.DESK_SOCKET_URL,
        "simulator_enabled": settings.WHATSAPP_GATEWAY == "outbox"
        and has_role(request.user, bot, SIMULATOR_ROLES),
    }


class DeskMixin(PortalMixin):
    portal_section = "desk"
    desk_page = "home"

    def my_attendants(self) -> list[Attendant]:
        """The user's attendant profiles on this Desk, read once per request."""
        if not hasattr(self, "_my_attendants"):
            self._my_attendants = list(
                selectors.attendants_of_user(user=self.request.user, bot=self.bot)
            )
        return self._my_attendants

    def chosen_attendant(self, pk=None) -> Attendant | None:
        """The attendant profile in use: the one asked for (if it is the user's), else the first."""
        mine = self.my_attendants()
        pk = pk or self.request.GET.get("attendant") or self.request.POST.get("attendant")
        for attendant in mine:
            if str(attendant.pk) == str(pk):
                return attendant
        return mine[0] if mine else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(desk_nav_context(self.request, self.bot, self.desk_page))
        # Every Desk page an attendant has open keeps them from going Offline by themselves.
        context["heartbeat_for"] = self.chosen_attendant()
        return context


class StatusView(DeskMixin, View):
    def post(self, request, *args, **kwargs):
        attendant = self.chosen_attendant()
        if attendant is None:
            raise Http404
        status, _sep, reason_id = (request.POST.get("status") or "").partition(":")
        reason = selectors.pause_reason_of(attendant=attendant, pk=reason_id) if reason_id else None
        try:
            if reason_id and reason is None:
                raise ValidationError(
                    _("This pause reason is not available."), code="pause_reason_other_bot"
                )
            services.attendant_change_status(
                attendant=attendant, status=status, pause_reason=reason, by=request.user
            )
        except ValidationError as exc:
            flash_error(request, exc)
        return redirect(f"{reverse('desk:home')}?attendant={attendant.pk}")


class AttendNextView(DeskMixin, View):
    def post(self, request, *args, **kwargs):
        attendant = self.chosen_attendant()
        if attendant is None:
            raise Http404
        home = f"{reverse('desk:home')}?attendant={attendant.pk}"
        try:
            ticket = services.ticket_attend_next(attendant=attendant)
        except ValidationError as exc:
            flash_error(request, exc)
            return redirect(home)
        if ticket is None:
            messages.info(
                request,
                _("Nobody is waiting for you or your teams right now."),
                extra_tags="nothing_waiting",
            )
            return redirect(home)
        return redirect("desk:ticket", bot_slug=self.bot.slug, pk=ticket.pk)


class TicketMixin(DeskMixin):
    def get_ticket(self, attendants: list[Attendant] | None = None, **read):
        ticket = selectors.visible_ticket(
            user=self.request.user,
            bot=self.bot,
            pk=self.kwargs["pk"],
            attendants=attendants,
            **read,
        )
        if ticket is None:
            raise Http404
        return ticket

    def ticket_url(self, ticket):
        return reverse("desk:ticket", kwargs={"bot_slug": self.bot.slug, "pk": ticket.pk})

    def is_mine(self, ticket) -> bool:
        return ticket.attendant is not None and ticket.attendant.user_id == self.request.user.pk


def reply_blocker(ticket, *, mine: bool, window_open: bool) -> tuple[str, str] | None:
    """Why the reply box is closed, as (code, sentence); None when the attendant may answer."""
    if ticket.status != TicketStatus.OPEN:
        return ("ticket_not_open", _("Only an open ticket can be answered."))
    if not mine:
        return ("not_your_ticket", _("Only the attendant holding the ticket can answer it."))
    if not window_open:
        return (
            "window_closed",
            _(
                "The customer's last message is more than 24 hours old. WhatsApp only allows an "
                "approved template now: send one as an active message."
            ),
        )
    return None


class TicketMessagesView(TicketMixin, TemplateView):
    template_name = "desk/_conversation.html"

    def get_context_data(self, **kwargs):
        ticket = self.get_ticket()
        history = selectors.conversation(contact=ticket.contact, routing=False)
        return {"ticket": ticket, "history": history}


class TicketReplyView(TicketMixin, View):
    def post(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        if not self.is_mine(ticket):
            raise Http404
        try:
            services.ticket_reply(
                ticket=ticket, attendant=ticket.attendant, text=request.POST.get("text", "")
            )
        except ValidationError as exc:
            flash_error(request, exc)
        return redirect(self.ticket_url(ticket))


class TicketTransferView(TicketMixin, View):
    def post(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        if not (self.is_mine(ticket) or selectors.is_supervisor(user=request.user, bot=self.bot)):
            raise Http404
        kind, _sep, pk = request.POST.get("target", "").partition(":")
        teams, attendants = selectors.transfer_targets(ticket=ticket)
        team = teams.filter(pk=pk).first() if kind == "team" and pk.isdigit() else None
        person = attendants.filter(pk=pk).first() if kind == "attendant" and pk.isdigit() else None
        try:
            new = services.ticket_transfer(ticket=ticket, team=team, attendant=person)
        except ValidationError as exc:
            flash_error(request, exc)
            return redirect(self.ticket_url(ticket))
        if new.attendant is not None:  # automatic distribution placed it at once (R21)
            text = _("Ticket transferred: #%(number)s went to %(who)s.") % {
                "number": new.sequence,
                "who": new.attendant,
            }
        else:
            text = _("Ticket transferred: it waits as #%(number)s.") % {"number": new.sequence}
        messages.success(request, text, extra_tags="transferred")
        return redirect("desk:supervisor" if not self.is_mine(ticket) else "desk:home")


class TicketCloseView(TicketMixin, View):
    def post(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        if not (self.is_mine(ticket) or selectors.is_supervisor(user=request.user, bot=self.bot)):
            raise Http404
        tags = selectors.closing_tags_of(ticket=ticket, ids=request.POST.getlist("tags"))
        try:
            services.ticket_close(ticket=ticket, tags=tags)
        except ValidationError as exc:
            flash_error(request, exc)
            return redirect(self.ticket_url(ticket))
        messages.success(request, _("Ticket closed."), extra_tags="closed")
        return redirect("desk:home")


class SupervisorView(DeskMixin, TemplateView):
    template_name = "desk/supervisor.html"
    desk_page = "supervisor"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.is_supervisor(
            user=request.user, bot=self.bot
        ):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        team = self.request.GET.get("team", "")
        team_id = int(team) if team.isdigit() else None
        context.update(
            title=_("Desk supervision"),
            desk_socket=supervisor_socket_path(bot_slug=self.bot.slug),
            team_filter=team_id,
            **selectors.supervisor_overview(bot=self.bot, team_id=team_id),
        )
        return context


class SupervisorFragmentView(SupervisorView):
    template_name = "desk/_supervisor_board.html"
