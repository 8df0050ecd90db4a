"""Folding two contact rows of one person into one (R18), safe to run again and again.

Before R18 a reply from the other form of a Brazilian mobile (or from the WhatsApp identity)
created a second contact. ``contacts_merge`` moves everything of the duplicate onto the contact
that stays and deletes the duplicate, in one transaction. ``bots`` knows nothing of tickets,
directives or recipients: the apps above listen to ``contact_merging`` and settle their rows that
cannot simply move (one current directive, one active ticket, one recipient per campaign); every
other row pointing at the duplicate is then moved by its foreign key, whatever app it is in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal

from bots.models import Bot, Contact, ContactState
from bots.phones import with_ninth_digit

logger = logging.getLogger(__name__)

# Sent inside the merge's transaction with ``keep`` and ``drop`` (both locked), before the rows
# of ``drop`` move to ``keep``: a receiver resolves what a unique constraint would refuse.
contact_merging = Signal()

# Brazilian mobiles stored in the eight-digit form: the rows a duplicate can come from.
_OLD_FORM = r"^\+55[1-9][1-9][6-9][0-9]{7}$"


def _keep_first(contacts: Sequence[Contact], phone: str) -> list[Contact]:
    """The row to keep first: today's phone form, then the one with an identity, then the oldest."""
    return sorted(contacts, key=lambda c: (c.phone != phone, not c.whatsapp_identity, c.pk))


def contacts_merge_group(*, contacts: Sequence[Contact], phone: str) -> Contact:
    """Merge every row of ``contacts`` (one person) into one; returns the contact that stays."""
    ordered = _keep_first(contacts, phone)
    keep = ordered[0]
    for drop in ordered[1:]:
        contacts_merge(keep=keep, drop=drop)
    keep.refresh_from_db()
    return keep


@transaction.atomic
def contacts_merge(*, keep: Contact, drop: Contact) -> bool:
    """Move every row of ``drop`` to ``keep`` and delete ``drop``; False when already merged."""
    if keep.pk == drop.pk or keep.bot_id != drop.bot_id:
        raise ValueError("only two different contacts of the same bot can be merged")
    locked = {
        c.pk: c
        for c in Contact.objects.select_for_update()
        .filter(pk__in=[keep.pk, drop.pk])
        .order_by("pk")
    }
    if len(locked) < 2:
        return False  # a previous run (or a concurrent one) already merged them
    keep, drop = locked[keep.pk], locked[drop.pk]
    contact_merging.send(sender=Contact, keep=keep, drop=drop)
    _move_state(keep, drop)
    _move_rows(keep, drop)
    fields = _merged_fields(keep, drop)
    # Deleted before the update: the identity may move from one row to the other.
    Contact.objects.filter(pk=drop.pk).delete()
    Contact.objects.filter(pk=keep.pk).update(**fields)
    logger.info("contact %s merged into %s (bot %s)", drop.pk, keep.pk, keep.bot_id)
    return True


def _move_state(keep: Contact, drop: Contact) -> None:
    """One state per contact: the one changed last wins."""
    states = {s.contact_id: s for s in ContactState.objects.filter(contact__in=[keep, drop])}
    theirs, ours = states.get(drop.pk), states.get(keep.pk)
    if theirs is None:
        return
    if ours is not None and ours.updated_at >= theirs.updated_at:
        theirs.delete()
        return
    if ours is not None:
        ours.delete()
    ContactState.objects.filter(pk=theirs.pk).update(contact=keep)


def _move_rows(keep: Contact, drop: Contact) -> None:
    # Hidden relations too (related_name="+"): deleting the duplicate must never cascade a row.
    relations = [
        f
        for f in Contact._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]
    for relation in relations:
        if relation.related_model is ContactState:
            continue
        field = relation.field.name
        relation.related_model._base_manager.filter(**{field: drop}).update(**{field: keep})


def _merged_fields(keep: Contact, drop: Contact) -> dict:
    extras = {**(drop.extras or {}), **(keep.extras or {})}
    last = [t for t in (keep.last_inbound_at, drop.last_inbound_at) if t is not None]
    return {
        "name": keep.name or drop.name,
        "email": keep.email or drop.email,
        "extras": extras,
        "whatsapp_identity": keep.whatsapp_identity or drop.whatsapp_identity,
        # Opting out is the person's wish, whichever row heard it.
        "opted_out": keep.opted_out or drop.opted_out,
        "opted_out_at": keep.opted_out_at if keep.opted_out else drop.opted_out_at,
        "opt_out_source": keep.opt_out_source if keep.opted_out else drop.opt_out_source,
        "last_inbound_at": max(last) if last else None,
    }


@dataclass
class MergeReport:
    merged: int = 0
    renamed: int = 0


def duplicates_merge(*, bot: Bot | None = None, dry_run: bool = False) -> MergeReport:
    """Merge every old-form Brazilian mobile row into its nine-digit twin; rename lone ones.

    A lone eight-digit row gets today's form so that a later audience (whose phones are
    normalised to it) finds the person instead of creating a second contact. Idempotent.
    """
    report = MergeReport()
    for old in _old_form_contacts(bot):
        phone = with_ninth_digit(old.phone)
        twin = Contact.objects.filter(bot_id=old.bot_id, phone=phone).first()
        if twin is None:
            report.renamed += 1
            if not dry_run:
                Contact.objects.filter(pk=old.pk).update(phone=phone)
            continue
        report.merged += 1
        if not dry_run:
            contacts_merge(keep=twin, drop=old)
    return report


def _old_form_contacts(bot: Bot | None) -> Iterator[Contact]:
    qs = Contact.objects.filter(phone__regex=_OLD_FORM).order_by("pk")
    if bot is not None:
        qs = qs.filter(Q(bot=bot.top_level))
    last = 0
    while True:  # in pages by primary key: rows merged away never shift the next page
        page = list(qs.filter(pk__gt=last)[:500])
        if not page:
            return
        for contact in page:
            if with_ninth_digit(contact.phone) != contact.phone:
                yield contact
        last = page[-1].pk
