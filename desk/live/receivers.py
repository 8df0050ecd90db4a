"""Signal receivers of the live Desk."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from desk.live import events


@receiver(user_logged_out, dispatch_uid="desk_live_session_ended")
def close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    # A socket authenticated by the session must not outlive it.
    if user is not None:
        events.session_ended(user_id=user.pk)
