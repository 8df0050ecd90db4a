"""Storing an audience in batches through the ORM: SQLite, and small audiences everywhere."""

from collections.abc import Callable, Iterable

from django.utils import timezone

from bots.models import Bot, Contact
from campaigns.audience import AudienceError
from campaigns.audience_store.members import (
    AudienceMember,
    ImportCounts,
    member_name,
    resolve_recipient_parameters,
)
from campaigns.models import Campaign, Recipient

AUDIENCE_BATCH = 500


def store_batched(
    *,
    campaign: Campaign,
    audience: Iterable,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Contacts and recipients AUDIENCE_BATCH members at a time; a repeated phone is skipped.

    ``progress(rows_read)`` is called after each batch (rows read include the skipped ones).
    """
    counts = ImportCounts()
    seen: set[str] = set()
    batch: list[AudienceMember] = []
    rows = 0
    for item in audience:
        rows += 1
        if isinstance(item, AudienceError) or item.phone in seen:
            counts.skipped += 1
            continue
        seen.add(item.phone)
        batch.append(item)
        if len(batch) >= AUDIENCE_BATCH:
            audience_store_batch(campaign, batch, counts)
            batch = []
            if progress is not None:
                progress(rows)
    if batch:
        audience_store_batch(campaign, batch, counts)
    if progress is not None:
        progress(rows)
    return counts


def audience_store_batch(campaign: Campaign, members: list, counts: ImportCounts) -> None:
    """Upsert one batch of contacts and add their recipients: a handful of queries per batch.

    A recipient already in the campaign is left as it is (a background import run twice).
    """
    owner = campaign.bot.top_level
    by_phone = {m.phone: m for m in members}
    ids, opted_out = _upsert_contacts(owner, by_phone)
    present = set(
        Recipient.objects.filter(campaign=campaign, contact_id__in=ids.values()).values_list(
            "contact_id", flat=True
        )
    )
    recipients = []
    for phone, member in by_phone.items():
        if phone in opted_out:
            counts.opted_out += 1
            continue
        if ids[phone] in present:
            continue
        params = resolve_recipient_parameters(
            kind=campaign.kind, parameters=campaign.parameters, extras=member.extras or {}
        )
        recipients.append(Recipient(campaign=campaign, contact_id=ids[phone], parameters=params))
    Recipient.objects.bulk_create(recipients, ignore_conflicts=True)
    counts.size += len(recipients)


def _upsert_contacts(owner: Bot, by_phone: dict) -> tuple[dict[str, int], set[str]]:
    """Contact ids by phone (existing ones updated, missing ones created) and the opted-out."""
    now = timezone.now()
    ids: dict[str, int] = {}
    opted_out: set[str] = set()
    changed = []
    # Plain tuples, not model instances: at 100,000 rows the ORM's per-instance cost shows.
    for pk, phone, name, extras, out in Contact.objects.filter(
        bot=owner, phone__in=list(by_phone)
    ).values_list("id", "phone", "name", "extras", "opted_out"):
        ids[phone] = pk
        if out:
            opted_out.add(phone)
        member = by_phone[phone]
        new_name = member_name(member) or name
        new_extras = {**(extras or {}), **(member.extras or {})}
        if new_name != name or new_extras != extras:
            changed.append(Contact(pk=pk, name=new_name, extras=new_extras, updated_at=now))
    if changed:
        Contact.objects.bulk_update(changed, ["name", "extras", "updated_at"])
    new = [
        Contact(bot=owner, phone=p, name=member_name(m), extras=dict(m.extras or {}))
        for p, m in by_phone.items()
        if p not in ids
    ]
    if new:
        # A contact created meanwhile (an inbound message) is updated rather than duplicated.
        Contact.objects.bulk_create(
            new,
            update_conflicts=True,
            unique_fields=["bot", "phone"],
            update_fields=["name", "extras", "updated_at"],
        )
        missing = [c.phone for c in new if c.pk is None]  # backends that return no ids
        ids.update({c.phone: c.pk for c in new if c.pk is not None})
        if missing:
            ids.update(
                Contact.objects.filter(bot=owner, phone__in=missing).values_list("phone", "id")
            )
    return ids, opted_out
