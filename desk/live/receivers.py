"""Signal receivers of the live Desk."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from bots.gateway.events import delivery_event
from desk.live import events


@receiver(user_logged_out, dispatch_uid="desk_live_session_ended")
def close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    # A socket authenticated by the session must not outlive it.
    if user is not None:
        events.session_ended(user_id=user.pk)


@receiver(delivery_event, dispatch_uid="desk_live_message_status")
def push_delivery_status(sender, *, bot, message_id, advanced=True, **kwargs) -> None:
    # Only a move the conversation can show: a repeated or late event changed nothing.
    if advanced:
        events.message_status_changed(bot_id=bot.pk, gateway_message_id=message_id)
