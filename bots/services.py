"""Writes on bots and contacts."""

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from bots.models import (
    Bot,
    Contact,
    ContactState,
    FlowBlock,
    Message,
    OptOutSource,
    new_webhook_secret,
)


def bot_rotate_webhook_secret(*, bot: Bot) -> None:
    bot.webhook_secret = new_webhook_secret()
    bot.save(update_fields=["webhook_secret"])


def contact_get_or_create(*, bot: Bot, phone: str, name: str = "") -> Contact:
    """The contact of ``phone`` on the bot that owns the channel (the router for a sub-bot)."""
    owner = bot.top_level
    contact, created = Contact.objects.get_or_create(
        bot=owner, phone=phone, defaults={"name": name}
    )
    if not created and name and not contact.name:
        contact.name = name
        contact.save(update_fields=["name", "updated_at"])
    return contact


@transaction.atomic
def contact_move_to_block(*, contact: Contact, bot: Bot, block: FlowBlock | None) -> ContactState:
    """Point the contact's next message at ``bot`` / ``block`` (Blip's master-state and stateid)."""
    state, _ = ContactState.objects.update_or_create(
        contact=contact, defaults={"bot": bot, "block": block}
    )
    state.full_clean()
    return state


def contacts_move_to_block(
    *, contacts: Iterable[Contact], bot: Bot, block: FlowBlock | None
) -> int:
    """``contact_move_to_block`` for many contacts in one upsert on the contact; how many.

    Not ``full_clean``-ed: the caller vouches for ``bot`` / ``block`` (the sending engine's come
    from a campaign that ``validate_campaign_for_send`` checked), and they are the same for every
    row. On PostgreSQL the ids go as one array literal (``bulk_create`` builds a model instance
    and quotes an array per column for each row, most of a sending chunk's record).
    """
    ids = sorted({contact.pk for contact in contacts})
    if not ids:
        return 0
    if connection.vendor != "postgresql":
        ContactState.objects.bulk_create(
            [ContactState(contact_id=pk, bot=bot, block=block) for pk in ids],
            update_conflicts=True,
            unique_fields=["contact"],
            update_fields=["bot", "block", "updated_at"],
        )
        return len(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(ContactState._meta.db_table)} "  # noqa: S608
            "(contact_id, bot_id, block_id, updated_at) SELECT c, %s, %s, %s "
            "FROM unnest(%s::bigint[]) AS c ON CONFLICT (contact_id) DO UPDATE "
            "SET bot_id = EXCLUDED.bot_id, block_id = EXCLUDED.block_id, "
            "updated_at = EXCLUDED.updated_at",
            [
                bot.pk,
                block.pk if block else None,
                timezone.now(),
                "{" + ",".join(map(str, ids)) + "}",
            ],
        )
    return len(ids)


def message_record(
    *,
    bot: Bot,
    contact: Contact,
    direction: str,
    text: str,
    status: str,
    kind: str = Message.Kind.TEXT,
    payload: dict | None = None,
    gateway_message_id: str = "",
) -> Message:
    """Append one message to the channel log (the conversation history and the outbox)."""
    return Message.objects.create(
        bot=bot.top_level,
        contact=contact,
        direction=direction,
        kind=kind,
        text=text,
        payload=payload or {},
        status=status,
        gateway_message_id=gateway_message_id,
    )


def contact_opt_out(*, contact: Contact, source: str, at: dt.datetime) -> bool:
    """Opt the contact out of its bot's campaigns (R20); True only for the call that did it.

    Compare-and-set on ``opted_out=False``: of two messages asking at once, one confirms.
    """
    if source not in OptOutSource.values:
        raise ValueError(f"unknown opt-out source {source!r}")
    won = Contact.objects.filter(pk=contact.pk, opted_out=False).update(
        opted_out=True, opted_out_at=at, opt_out_source=source
    )
    if won:
        contact.opted_out, contact.opted_out_at, contact.opt_out_source = True, at, source
    return bool(won)


def contacts_opt_in(*, contacts: QuerySet[Contact]) -> int:
    """Let opted-out contacts receive campaigns again (an operator's decision); how many."""
    return contacts.filter(opted_out=True).update(
        opted_out=False, opted_out_at=None, opt_out_source=""
    )
