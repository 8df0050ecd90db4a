"""Receivers that keep the Desk consistent with the bots it serves."""

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from bots.models import Bot
from desk.services import team_ensure_default


@receiver(post_save, sender=Bot, dispatch_uid="desk_default_team")
def ensure_default_team(sender, instance: Bot, **kwargs) -> None:
    # Every Desk has a Default team for replies no rule claims: create it as Desk is switched on.
    if instance.desk_enabled and not instance.is_router:
        team_ensure_default(bot=instance)


# Sent on commit for every inbound contact message, with ``bot`` (the top-level bot), ``contact``,
# ``message`` and ``at``. Campaigns listen to mark the recipient Replied: the Desk does not know
# about campaigns (dependencies point campaigns → desk → bots).
contact_replied = Signal()
