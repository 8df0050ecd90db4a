"""Claiming a chunk of recipients and recording what happened to it: a statement or two each.

A claim is one compare-and-set UPDATE over the chunk (Pending → Sending, ``RETURNING`` the rows
it won), so two workers or a redelivered task can never both hold a recipient (R17). Under a
messaging limit (R26) the bot's window admits the chunk's contacts first: those it cannot take
yet stay Pending with the time their slot should free (``deferred_until``), and are sent when it
does, never failed. The record
is one transaction: one UPDATE moves the accepted sends to Sent, one moves the failures to
Failed, then the channel log and the reply routing are written in bulk (``send_effects_write``).
A worker dying between the two leaves its chunks in flight (two at most) Sending, which
recovery settles as "unknown outcome" (a delivery event later corrects it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Field
from django.db.models.base import ModelState
from django.utils import timezone

from bots.bulk_sql import adapt_value, ids_clause, update_from_values, update_returning
from bots.identities import contacts_record_identities
from bots.messaging_limits import window_admit
from bots.models import Contact
from campaigns import metrics
from campaigns.models import Campaign, Recipient
from campaigns.sending.codes import UNKNOWN_OUTCOME
from campaigns.sending.effects import SentRecord, send_effects_write
from campaigns.signals import recipients_status_changed

S = Recipient.Status
_TABLE = Recipient._meta.db_table


@dataclass(frozen=True)
class Failure:
    """A claimed recipient that could not be sent: its stable code and the reason shown."""

    recipient: Recipient
    code: str
    reason: str


def recipients_claim(*, campaign: Campaign, ids: Sequence[int]) -> list[Recipient]:
    """Pending → Sending for those of ``ids`` still Pending and admitted by the bot's messaging
    window (R26); the ones won, with their contacts, in id order."""
    if not ids:
        return []
    owner, now = campaign.bot.top_level, timezone.now()
    with transaction.atomic():
        if owner.messaging_limit is not None:
            claimed = _claim_within_limit(campaign, owner, ids, now)
        else:
            claimed = _claim(campaign, ids, now)
            if not _counted_at_record(campaign):
                window_admit(bot=owner, contact_ids=[r.contact_id for r in claimed], now=now)
    for recipient in claimed:  # loaded once per batch with everything it points to
        _CAMPAIGN.set_cached_value(recipient, campaign)
    return claimed


def _counted_at_record(campaign: Campaign) -> bool:
    """Whether the chunk's contacts are counted in the messaging window (R26) when it is
    recorded rather than when it is claimed: for a bot without a limit on PostgreSQL, where the
    record writes each contact anyway (the identities its sends looked up, R18) and the count
    goes into that one write. Nothing waits on the count then: it is kept should the bot move to
    a limited tier. A bot with a limit is admitted and counted at the claim, before it sends."""
    return connection.vendor == "postgresql" and campaign.bot.top_level.messaging_limit is None


def _claim(campaign: Campaign, ids: Sequence[int], now) -> list[Recipient]:
    """The compare-and-set itself: the rows won, with their contacts, in id order.

    On PostgreSQL the rows come back from the UPDATE itself (a CTE joined to the contacts);
    elsewhere a SELECT of the ids it returned follows.
    """
    if not ids:
        return []
    where, params = ids_clause("id", ids)
    set_sql = "status = %s, claimed_at = %s, attempts = attempts + 1"
    where_sql = f"{where} AND campaign_id = %s AND status = %s"
    params = [S.SENDING, now, *params, campaign.pk, S.PENDING]
    if connection.vendor == "postgresql":
        return _claim_returning_rows(set_sql, where_sql, params, now)
    won = update_returning(
        table=_TABLE, set_sql=set_sql, where_sql=where_sql, params=params, returning="id"
    )
    recipients = Recipient.objects.filter(pk__in=[pk for (pk,) in won]).select_related("contact")
    return list(recipients.order_by("pk"))


class _Columns(NamedTuple):
    """How the columns a claim returns of one model become its instances."""

    model: type
    fields: tuple[Field, ...]
    attnames: tuple[str, ...]
    converted: tuple[tuple[int, Field], ...]  # (position, field) of values a field converts

    @classmethod
    def of(cls, model, names: Sequence[str]) -> _Columns:
        fields = tuple(model._meta.get_field(name) for name in names)
        converted = tuple((i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value"))
        return cls(model, fields, tuple(f.attname for f in fields), converted)

    def instance(self, values: Sequence, alias: str):
        """A model instance from raw column values, through each field's own conversion.

        Built as unpickling builds one (``__new__``, then its attributes), not through
        ``__init__``, which walks every field of the model to mark the unread ones deferred:
        two instances per claimed recipient cost a third of a claim that way. The fields not
        read stay deferred all the same: a deferred field is one missing from ``__dict__``.
        """
        if self.converted:
            values = list(values)
            for i, field in self.converted:
                if values[i] is not None:
                    values[i] = field.from_db_value(values[i], None, connection)
        instance = self.model.__new__(self.model)
        state = instance._state = ModelState()
        state.adding, state.db = False, alias
        instance.__dict__.update(zip(self.attnames, values, strict=True))
        return instance


# What the sends and their record read of a claimed recipient and its contact; the other
# columns (timestamps, the contact's extras) are left deferred, so nothing parses them. The
# claim time is not read back either: it is the ``now`` the claim wrote.
_RECIPIENT_COLUMNS = _Columns.of(
    Recipient,
    ("id", "campaign", "contact", "parameters", "status", "gateway_message_id", "failure_code",
     "attempts", "sent_at"),
)  # fmt: skip
_CONTACT_COLUMNS = _Columns.of(
    Contact, ("id", "bot", "phone", "whatsapp_identity", "name", "opted_out")
)
_CONTACT = Recipient._meta.get_field("contact")
_CAMPAIGN = Recipient._meta.get_field("campaign")


def _claim_returning_rows(set_sql: str, where_sql: str, params: list, now) -> list[Recipient]:
    contacts = Contact._meta.db_table
    columns = [f"won.{f.column}" for f in _RECIPIENT_COLUMNS.fields]
    columns += [f"c.{f.column}" for f in _CONTACT_COLUMNS.fields]
    # Table and column names come from the models; the values travel as parameters.
    with_sql = f"WITH won AS (UPDATE {_TABLE} SET {set_sql} WHERE {where_sql} RETURNING *)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"{with_sql} SELECT {', '.join(columns)} FROM won "  # noqa: S608
            f"JOIN {contacts} c ON c.id = won.contact_id ORDER BY won.id",
            [adapt_value(value) for value in params],
        )
        rows = cursor.fetchall()
    split, alias = len(_RECIPIENT_COLUMNS.fields), connection.alias
    claimed = []
    for row in rows:
        recipient = _RECIPIENT_COLUMNS.instance(row[:split], alias)
        recipient.claimed_at = now
        _CONTACT.set_cached_value(recipient, _CONTACT_COLUMNS.instance(row[split:], alias))
        claimed.append(recipient)
    return claimed


def _claim_within_limit(campaign, owner, ids: Sequence[int], now) -> list[Recipient]:
    """Claim those the window admits; defer the others, saying until when."""
    pending = Recipient.objects.filter(pk__in=ids, campaign=campaign, status=S.PENDING)
    candidates = dict(pending.order_by("pk").values_list("pk", "contact_id"))
    if not candidates:
        return []
    ahead = (
        Recipient.objects.filter(campaign__bot=owner, status=S.PENDING, deferred_until__gt=now)
        .exclude(pk__in=list(candidates))
        .count()
    )
    admission = window_admit(
        bot=owner, contact_ids=list(candidates.values()), queue_ahead=ahead, now=now
    )
    admitted = set(admission.admitted)
    deferred = [
        (pk, admission.deferred[contact])
        for pk, contact in candidates.items()
        if contact in admission.deferred
    ]
    update_from_values(
        table=_TABLE,
        rows=deferred,
        set_sql="deferred_until = v.column2",
        where_sql=f"{_TABLE}.status = 'pending'",
        types=("bigint", "timestamptz"),
    )
    return _claim(campaign, [pk for pk, contact in candidates.items() if contact in admitted], now)


def recipients_record(
    *,
    campaign: Campaign,
    outcomes: Sequence[SentRecord | Failure],
    identities: Sequence[tuple] = (),
) -> int:
    """Record a chunk's outcomes at once; returns how many moved to Sent.

    One transaction: a recipient is never Sent without its message row, and a failure leaves
    the whole chunk Sending for recovery. Tried twice, because a send of another campaign to
    the same contact racing on the one-current-directive index (or a deadlock) aborts the first.
    ``identities``: (contact, WhatsApp identity) pairs the sends looked up, kept on the contacts
    in the same commit (R18; one that belongs to another contact is left, never fails it).
    """
    sent = [o for o in outcomes if isinstance(o, SentRecord)]
    failed = [o for o in outcomes if isinstance(o, Failure)]
    if not outcomes and not identities:
        return 0
    messaged = {}
    if _counted_at_record(campaign):  # claimed, so counted in the window (R26), at its claim time
        messaged = {
            o.recipient.contact_id: o.recipient.claimed_at
            for o in outcomes
            if o.recipient.claimed_at is not None
        }
    for attempt in range(2):
        try:
            with transaction.atomic():
                won = _record_sent(campaign, sent)
                _record_failed(campaign, failed)
                contacts_record_identities(pairs=identities, messaged=messaged)
            break
        except (IntegrityError, OperationalError):
            if attempt:
                raise
    for record in won:
        recipient = record.recipient
        recipient.status, recipient.sent_at = S.SENT, record.sent_at
        recipient.gateway_message_id = record.gateway_id
    metrics.count_sent(len(won))
    for code, count in Counter(f.code for f in failed if f.recipient.status == S.FAILED).items():
        metrics.count_failed(code, count)
    return len(won)


def _record_sent(campaign: Campaign, sent: list[SentRecord]) -> list[SentRecord]:
    # A recovery that meanwhile called a send "unknown outcome" is corrected: it was sent. A
    # delivery event that recorded it first has moved it on, so this leaves it alone.
    ids = update_from_values(
        table=_TABLE,
        rows=[(r.recipient.pk, r.sent_at, r.gateway_id[:100]) for r in sent],
        set_sql="status = 'sent', sent_at = v.column2, gateway_message_id = v.column3, "
        "failure_code = '', failure_reason = ''",
        where_sql=f"{_TABLE}.status = 'sending' OR ({_TABLE}.status = 'failed' "
        f"AND {_TABLE}.failure_code = '{UNKNOWN_OUTCOME}')",
        types=("bigint", "timestamptz", "text"),
    )
    moved = set(ids)
    won = [r for r in sent if r.recipient.pk in moved]
    send_effects_write(campaign=campaign, sends=won)
    recipients_status_changed(
        campaign_id=campaign.pk, recipient_ids=ids, status=S.SENT, bot_id=campaign.bot_id
    )
    return won


def _record_failed(campaign: Campaign, failed: list[Failure]) -> None:
    ids = update_from_values(
        table=_TABLE,
        rows=[(f.recipient.pk, f.code, (f.reason or f.code)[:300]) for f in failed],
        set_sql="status = 'failed', failure_code = v.column2, failure_reason = v.column3",
        where_sql=f"{_TABLE}.status = 'sending'",
        types=("bigint", "text", "text"),
    )
    moved = set(ids)
    for failure in failed:
        if failure.recipient.pk in moved:
            failure.recipient.status = S.FAILED
    recipients_status_changed(
        campaign_id=campaign.pk, recipient_ids=ids, status=S.FAILED, bot_id=campaign.bot_id
    )
