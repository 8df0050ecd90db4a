"""Step 4 of the wizard: how much of this campaign fits in the bot's messaging window now (R26).

Contacts of the audience already in the window cost nothing; the others take what is left of
the limit. Only when the audience is larger than what is left does it matter who is already in
the window, so only then is the audience read again (the stored upload, in batches of phones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import BinaryIO

from django.utils import timezone

from bots.messaging_limits import WINDOW, Budget, messaging_budget
from bots.models import Bot, Contact
from campaigns.audience import AudienceParser, AudienceRow

PHONES_PER_QUERY = 1000


@dataclass(frozen=True)
class BudgetPreview:
    """What step 4 shows: the window, the audience, how many go now and how many wait."""

    budget: Budget
    quality_rating: str
    quality_label: str
    audience: int
    fit_now: int
    waiting: int
    first_wait_until: dt.datetime | None

    @property
    def unlimited(self) -> bool:
        return self.budget.limit is None

    @property
    def low_quality(self) -> bool:
        return self.quality_rating in (Bot.QualityRating.YELLOW, Bot.QualityRating.RED)


def budget_preview(
    *, bot: Bot, audience: int, phones=None, now: dt.datetime | None = None
) -> BudgetPreview:
    """``audience``: contacts the campaign will message; ``phones``: a callable returning an
    iterable of their E.164 phones, read only when the budget is short."""
    now = now or timezone.now()
    owner = bot.top_level
    budget = messaging_budget(bot=owner, now=now)
    fit, first = audience, None
    if budget.limit is not None and audience > budget.remaining:
        inside = _already_in_window(owner, phones() if phones else (), now)
        fit = min(audience, inside + budget.remaining)
        first = budget.next_slot_at or now + WINDOW
    return BudgetPreview(
        budget=budget,
        quality_rating=owner.quality_rating,
        quality_label=str(owner.get_quality_rating_display()),
        audience=audience,
        fit_now=fit,
        waiting=audience - fit,
        first_wait_until=first,
    )


def upload_phones(storage, token: str):
    """The phones of a wizard upload, streamed (a callable for ``budget_preview``)."""

    def read():
        with storage.open(token, "rb") as fileobj:
            yield from _phones(fileobj)

    return read


def _phones(fileobj: BinaryIO):
    for item in AudienceParser(fileobj, detect_duplicates=False):
        if isinstance(item, AudienceRow):
            yield item.phone


def _already_in_window(owner: Bot, phones, now: dt.datetime) -> int:
    in_window = Contact.objects.filter(
        bot=owner, opted_out=False, last_active_message_at__gt=now - WINDOW
    )
    found, batch = 0, []
    for phone in phones:
        batch.append(phone)
        if len(batch) >= PHONES_PER_QUERY:
            found += in_window.filter(phone__in=batch).count()
            batch = []
    if batch:
        found += in_window.filter(phone__in=batch).count()
    return found
