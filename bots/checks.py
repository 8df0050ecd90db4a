"""Checks shared by the models' clean(): one helper instead of a copy per model."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


def same_bot_errors(bot_id: int | None, **related: models.Model | None) -> dict:
    """A field error for every related row that belongs to another bot than ``bot_id``.

    The code names the kind of row: ``team=…`` gives ``team_other_bot`` and
    ``requested_attendant=…`` gives ``attendant_other_bot``. Rows not chosen yet are skipped.
    """
    errors = {}
    if bot_id is None:
        return errors
    for field, row in related.items():
        if row is None or getattr(row, "bot_id", None) == bot_id:
            continue
        kind = field.rsplit("_", 1)[-1]
        errors[field] = ValidationError(
            _("%(kind)s of another bot: choose one of this bot."),
            code=f"{kind}_other_bot",
            params={"kind": capfirst(row._meta.verbose_name)},
        )
    return errors


def refuse_desk_on_router(bot, what) -> None:
    """Desk things (tags, pause reasons, …) live on sub-bots and stand-alone bots, not routers."""
    if bot is not None and bot.is_router:
        raise ValidationError(
            {
                "bot": ValidationError(
                    _("A router has no Desk of its own: add %(what)s to its sub-bots."),
                    code="desk_on_router",
                    params={"what": what},
                )
            }
        )
