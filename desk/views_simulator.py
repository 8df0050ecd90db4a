"""The contact simulator: be a WhatsApp contact of a bot while the gateway is the local outbox.

It shows the channel log of one phone (what the contact received and sent) and lets the person
reply as the contact through ``inbound_receive``, the very function the webhook calls.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from bots.access import top_level_bots_for
from bots.content import MEDIA_LINK, media_link, parse_content
from bots.phones import InvalidPhone, normalize_phone
from bots.portal import PortalMixin
from desk import selectors
from desk.inbound import inbound_receive
from desk.message_content import safe_url
from desk.reasons import render_reason
from desk.views import SIMULATOR_ROLES, desk_nav_context


class SimulatorMixin(PortalMixin):
    portal_section = "desk"
    roles = SIMULATOR_ROLES

    def dispatch(self, request, *args, **kwargs):
        # Only a local outbox makes a fake contact harmless: with Blip, messages are real.
        if settings.WHATSAPP_GATEWAY != "outbox":
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def chosen(self, data):
        """(bot, phone, error code) from the query or the form; the current bot by default."""
        bots = top_level_bots_for(self.request.user, self.roles)
        slug = data.get("bot")
        bot = bots.filter(slug=slug).first() if slug else self.bot
        if bot is None:  # someone else's bot, or none at all
            raise Http404
        raw = (data.get("phone") or "").strip()
        if not raw:
            return bot, "", None
        try:
            return bot, normalize_phone(raw), None
        except InvalidPhone as exc:
            return bot, raw, exc.code


class SimulatorView(SimulatorMixin, TemplateView):
    template_name = "desk/simulator.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bot, phone, error = self.chosen(self.request.GET)
        contact = selectors.contact_of(bot=bot, phone=phone) if phone and not error else None
        context.update(
            title=_("Contact simulator"),
            **desk_nav_context(self.request, self.bot, "simulator"),
            sim_bots=list(top_level_bots_for(self.request.user, self.roles)),
            sim_bot=bot,
            phone=phone,
            phone_error=error,
            history=selectors.conversation(contact=contact) if contact else [],
            log_url=_log_url(bot, phone) if phone and not error else "",
        )
        return context


def _log_url(bot, phone) -> str:
    return f"{reverse('desk:simulator_log')}?{urlencode({'bot': bot.slug, 'phone': phone})}"


class SimulatorLogView(SimulatorMixin, TemplateView):
    template_name = "desk/_simulator_log.html"

    def get_context_data(self, **kwargs):
        bot, phone, error = self.chosen(self.request.GET)
        contact = selectors.contact_of(bot=bot, phone=phone) if phone and not error else None
        return {"history": selectors.conversation(contact=contact) if contact else []}


class SimulatorSendView(SimulatorMixin, View):
    def post(self, request, *args, **kwargs):
        bot, phone, error = self.chosen(request.POST)
        text = request.POST.get("text", "").strip()
        media_url = request.POST.get("media_url", "").strip()
        query = urlencode({"bot": bot.slug, "phone": phone})
        back = redirect(f"{reverse('desk:simulator')}?{query}")
        if error or not phone or not (text or media_url):
            messages.error(
                request, _("Give a valid phone and a message."), extra_tags="simulator_invalid"
            )
            return back
        if media_url and not safe_url(media_url):
            messages.error(
                request,
                _("The file's address must start with http:// or https://."),
                extra_tags="simulator_media_invalid",
            )
            return back
        result = inbound_receive(
            bot=bot,
            phone=phone,
            envelope_id=f"simulator-{uuid.uuid4()}",
            **_content(text, media_url),
        )
        messages.info(
            request,
            _("Delivered to the bot. Routing: %(reason)s")
            % {
                "reason": render_reason(
                    result.decision.reason_code,
                    result.decision.reason_params,
                    result.decision.reason,
                )
            },
            extra_tags=f"routed {result.decision.reason_code}",
        )
        return back


def _content(text: str, media_url: str) -> dict:
    """What the simulated phone sends: the text, or a file with the text as its caption."""
    if not media_url:
        return {"text": text}
    content = media_link(media_url, text)
    parsed = parse_content(MEDIA_LINK, content)
    return {
        "text": parsed.text,
        "kind": parsed.kind,
        "payload": {"type": MEDIA_LINK, "content": content},
    }
