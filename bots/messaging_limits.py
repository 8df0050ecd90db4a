"""WhatsApp messaging limits (R26): unique contacts a number may message per rolling 24 hours.

A contact counts in its bot's window for 24 hours after its last active message
(``Contact.last_active_message_at``); messaging it again inside the window costs nothing.
``messaging_budget`` reads the window (step 4 of the wizard shows it); ``window_admit`` is what
every sender calls just before sending: it lets through the contacts already in the window and as
many others as the budget leaves, counts them at once, and says when the rest should find a free
slot. Senders of the same bot are serialised on the bot's row, so two workers never both spend
the last slot (PostgreSQL; SQLite runs one writer at a time anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from bots.models import Bot, Contact

WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Budget:
    """The bot's window now: its limit (None: unlimited) and the contacts already in it."""

    limit: int | None
    used: int
    next_slot_at: dt.datetime | None = None  # when the oldest contact of the window leaves it

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


@dataclass
class Admission:
    """Contacts that may be messaged now, and the others with when a slot should free."""

    admitted: list[int] = field(default_factory=list)
    deferred: dict[int, dt.datetime] = field(default_factory=dict)


def messaging_budget(*, bot: Bot, now: dt.datetime | None = None) -> Budget:
    """How much of the bot's window is used now (its top-level bot's: the channel's)."""
    now = now or timezone.now()
    owner = bot.top_level
    limit = owner.messaging_limit
    if limit is None:
        return Budget(limit=None, used=0)
    in_window = _in_window(owner, now)
    used = in_window[:limit].count()  # never counts past the limit
    oldest = in_window.order_by("last_active_message_at").values_list(
        "last_active_message_at", flat=True
    )[:1]
    return Budget(limit=limit, used=used, next_slot_at=oldest[0] + WINDOW if oldest else None)


def window_usage_text(budget: Budget) -> str:
    """The window in a sentence for the operator: used, limit, and when a slot frees."""
    if budget.limit is None:
        return _("No limit: every contact can be messaged.")
    text = _("%(used)s of %(limit)s contacts messaged; free now: %(left)s.") % {
        "used": formats.number_format(budget.used, force_grouping=True),
        "limit": formats.number_format(budget.limit, force_grouping=True),
        "left": formats.number_format(budget.remaining, force_grouping=True),
    }
    if budget.next_slot_at and not budget.remaining:
        local = timezone.localtime(budget.next_slot_at)
        text += " " + _("The next slot frees at %(time)s.") % {
            "time": formats.date_format(local, "SHORT_DATETIME_FORMAT")
        }
    return text


def contacts_in_window(*, bot: Bot, contact_ids: Sequence[int], now=None) -> set[int]:
    """Those of ``contact_ids`` already in the bot's window: messaging them costs nothing."""
    now = now or timezone.now()
    rows = _in_window(bot.top_level, now).filter(pk__in=list(contact_ids))
    return set(rows.values_list("pk", flat=True))


@transaction.atomic
def window_admit(
    *, bot: Bot, contact_ids: Sequence[int], queue_ahead: int = 0, now: dt.datetime | None = None
) -> Admission:
    """Admit ``contact_ids`` (in order) to the bot's window and count them there (R26).

    Contacts already in the window are admitted for free; others while the limit allows. The
    rest are deferred, each with when its slot should free: the ``queue_ahead`` contacts already
    waiting for this bot go first. The caller sends the admitted ones right after, in its
    transaction or just after it.
    """
    now = now or timezone.now()
    owner = bot.top_level
    limit = owner.messaging_limit
    ids = list(dict.fromkeys(contact_ids))
    if limit is None:
        _count_in(ids, now)
        return Admission(admitted=ids)
    # One sender of this bot at a time from here to the commit. NO KEY: inserts of rows that
    # point at the bot (messages, tickets) are not held up.
    list(Bot.objects.select_for_update(no_key=True).filter(pk=owner.pk).values_list("pk"))
    free = contacts_in_window(bot=owner, contact_ids=ids, now=now)
    room = max(0, limit - _in_window(owner, now)[:limit].count())
    admitted, waiting = [], []
    for contact_id in ids:
        if contact_id in free or room > 0:
            room -= contact_id not in free
            admitted.append(contact_id)
        else:
            waiting.append(contact_id)
    _count_in(admitted, now)
    return Admission(admitted=admitted, deferred=_slots(owner, limit, waiting, queue_ahead, now))


def _in_window(owner: Bot, now: dt.datetime):
    return Contact.objects.filter(bot=owner, last_active_message_at__gt=now - WINDOW)


def _count_in(contact_ids: list[int], now: dt.datetime) -> None:
    if contact_ids:
        Contact.objects.filter(pk__in=contact_ids).update(last_active_message_at=now)


def _slots(owner: Bot, limit: int, waiting: list[int], ahead: int, now) -> dict[int, dt.datetime]:
    """When each waiting contact should find a slot, if nothing else is sent meanwhile.

    The window's contacts leave it oldest first, 24 hours after their last message; a slot
    freed goes to the next in the queue, and the queue wraps onto the next day's slots.
    """
    if not waiting:
        return {}
    leaving = list(
        _in_window(owner, now)
        .order_by("last_active_message_at")
        .values_list("last_active_message_at", flat=True)[: min(limit, ahead + len(waiting))]
    )
    slots = {}
    for position, contact_id in enumerate(waiting, start=ahead):
        turn, index = divmod(position, limit)
        base = leaving[index] if index < len(leaving) else now
        slots[contact_id] = base + WINDOW * (turn + 1)
    return slots
