"""One contact per person and top-level bot, whatever form the WhatsApp identity takes (R18).

A reply may come from the identity Blip's account lookup returned for the phone, or from a
Brazilian mobile with or without its ninth digit. ``contact_for_inbound`` finds the one contact
with a single indexed query (identity first, then the phone, then its other form) and creates it
in today's form when there is none; ``contact_record_identity`` keeps what a send resolved. Rows
that already exist twice for one person are folded together by ``bots.merge``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from bots.bulk_sql import update_from_values
from bots.lime import node_identity
from bots.merge import contacts_merge_group
from bots.models import Bot, Contact
from bots.phones import phone_forms

logger = logging.getLogger(__name__)

MATCHED_BY_IDENTITY = "identity"
MATCHED_BY_PHONE = "phone"
MATCHED_BY_NINTH_DIGIT = "ninth_digit"
CREATED = "created"


@dataclass(frozen=True)
class ContactMatch:
    """The contact an inbound message belongs to, how it was found, and what is left to store.

    ``store_identity`` is the identity the caller should save on the contact (empty when it is
    already there): the inbound pipeline folds it into the update it makes anyway.
    """

    contact: Contact
    matched_by: str
    store_identity: str = ""
    merged: tuple[int, ...] = ()


def contact_for_inbound(
    *, bot: Bot, phone: str, identity: str = "", name: str = ""
) -> ContactMatch:
    """The contact of a message from ``identity`` / ``phone`` on ``bot`` (its top-level bot).

    One query on the (bot, identity) and (bot, phone) indexes finds every candidate; two rows
    for one person (made before R18) are merged into the one in today's phone form. The caller
    owns the transaction.
    """
    owner = bot.top_level
    forms = phone_forms(phone)
    for _attempt in range(2):
        rows = _candidates(owner, forms, identity)
        if rows:
            return _choose(rows, phone, forms, identity, name)
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    bot=owner, phone=forms[0], name=name[:200], whatsapp_identity=identity
                )
        except IntegrityError:
            continue  # another message of the same person created it a moment ago
        return ContactMatch(contact, CREATED)
    raise RuntimeError(f"could not find or create the contact of {phone} on {owner.slug}")


def contact_match_of(*, contact: Contact, phone: str, identity: str = "") -> ContactMatch:
    """The match of the one row a caller found by the same lookup as ``contact_for_inbound``
    (phone forms or identity, on the top-level bot): how it was found, and what to store."""
    store = identity if identity and not contact.whatsapp_identity else ""
    return ContactMatch(contact, _matched_by(contact, phone, identity), store)


def _candidates(owner: Bot, forms: tuple[str, ...], identity: str) -> list[Contact]:
    lookup = Q(phone__in=forms)
    if identity:
        lookup |= Q(whatsapp_identity=identity)
    # At most one row per phone form plus the identity's: a handful, never a scan.
    return list(Contact.objects.filter(lookup, bot=owner).order_by("pk")[: len(forms) + 1])


def _matched_by(contact: Contact, phone: str, identity: str) -> str:
    if identity and contact.whatsapp_identity == identity:
        return MATCHED_BY_IDENTITY
    return MATCHED_BY_PHONE if contact.phone == phone else MATCHED_BY_NINTH_DIGIT


_RANK = {MATCHED_BY_IDENTITY: 0, MATCHED_BY_PHONE: 1, MATCHED_BY_NINTH_DIGIT: 2}


def _choose(
    rows: list[Contact], phone: str, forms: tuple[str, ...], identity: str, name: str
) -> ContactMatch:
    matched_by = min((_matched_by(c, phone, identity) for c in rows), key=_RANK.__getitem__)
    merged: tuple[int, ...] = ()
    if len(rows) > 1:
        contact = contacts_merge_group(contacts=rows, phone=forms[0])
        merged = tuple(c.pk for c in rows if c.pk != contact.pk)
    else:
        contact = rows[0]
    if name and not contact.name:
        contact.name = name[:200]
        contact.save(update_fields=["name", "updated_at"])
    store = identity if identity and not contact.whatsapp_identity else ""
    return ContactMatch(contact, matched_by, store, merged)


def contact_record_identity(*, contact: Contact, identity: str) -> bool:
    """Keep on the contact the identity a send resolved for its phone; True when stored.

    Another contact of the bot holding the identity is a duplicate of this person: it is left
    for the next reply (or ``merge_duplicate_contacts``) to merge, never merged mid-send.
    """
    try:
        identity = node_identity(identity)
    except ValueError:
        return False
    if contact.whatsapp_identity == identity:
        return False
    try:
        with transaction.atomic():
            stored = Contact.objects.filter(pk=contact.pk).update(whatsapp_identity=identity)
    except IntegrityError:
        logger.info(
            "identity %s already belongs to another contact of bot %s", identity, contact.bot_id
        )
        return False
    if stored:
        contact.whatsapp_identity = identity
    return bool(stored)


def contacts_record_identities(
    *, pairs: Iterable[tuple[Contact, str]], messaged: Mapping[int, dt.datetime] | None = None
) -> int:
    """``contact_record_identity`` for many contacts at once (a chunk of sends): one UPDATE.

    ``messaged``: contact id → when a send reached it, counted in its bot's messaging window
    (R26, the latest time kept) by the same UPDATE (PostgreSQL: the sending engine's chunk of a
    bot without a limit writes each contact once, not once for the window and once more for its
    identity). Only when an identity already belongs to another contact of the bot does it fall
    back to one update per contact, which leaves that one alone. Returns how many identities
    were stored.
    """
    rows: dict[int, tuple[Contact | None, str | None]] = {}
    for contact, identity in pairs:
        try:
            rows[contact.pk] = (contact, node_identity(identity))
        except ValueError:
            continue
    messaged = messaged or {}
    if not rows and not messaged:
        return 0
    table = Contact._meta.db_table
    try:
        with transaction.atomic():
            if messaged:
                stored = _window_and_identities(table, rows, messaged)
            else:
                stored = update_from_values(
                    table=table,
                    rows=[(pk, identity) for pk, (_contact, identity) in rows.items()],
                    set_sql="whatsapp_identity = v.column2",
                    where_sql=f"{table}.whatsapp_identity <> v.column2",
                    types=("bigint", "text"),
                )
    except IntegrityError:
        if messaged:
            _window_and_identities(table, {}, messaged)
        return sum(contact_record_identity(contact=c, identity=i) for c, i in rows.values())
    changed = 0
    for pk in stored:
        contact, identity = rows.get(pk, (None, None))
        if contact is not None and contact.whatsapp_identity != identity:
            contact.whatsapp_identity = identity
            changed += 1
    return changed


def _window_and_identities(table: str, rows: dict, messaged: Mapping[int, dt.datetime]):
    """Both writes in one UPDATE per contact; a later time already counted is kept."""
    values = [(pk, messaged.get(pk), rows.get(pk, (None, None))[1]) for pk in {*rows, *messaged}]
    last = f"{table}.last_active_message_at"
    return update_from_values(
        table=table,
        rows=values,
        set_sql=f"last_active_message_at = CASE WHEN v.column2 IS NULL OR {last} > v.column2 "
        f"THEN {last} ELSE v.column2 END, "
        f"whatsapp_identity = COALESCE(v.column3, {table}.whatsapp_identity)",
        where_sql=f"v.column2 IS NOT NULL OR {table}.whatsapp_identity <> v.column3",
        types=("bigint", "timestamptz", "text"),
    )
