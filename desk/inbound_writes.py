"""The rows one inbound message writes, in as few statements as the database allows.

Once the decision is made, a message writes: its envelope claim (idempotency), the message, the
ticket it joins (with the R24 silence reset) or opens (numbered), the link between the two, and
the decision's record. PostgreSQL takes them all as one statement (data-modifying WITH), so a
message costs the same few round trips whatever the data; elsewhere (SQLite) they go one by one,
with the same outcome. The INSERTs are the ORM's own (``bots.bulk_sql.insert_sql``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from bots.bulk_sql import insert_sql
from bots.models import Message, ProcessedEnvelope
from desk.models import ACTIVE_TICKET_STATUSES, InboundRouting, Ticket, TicketMessage
from desk.services import ticket_next_number


@dataclass(frozen=True)
class Join:
    """The message joins this open ticket."""

    ticket_id: int


@dataclass(frozen=True)
class Open:
    """The message opens this ticket (unsaved, without its number)."""

    ticket: Ticket


def inbound_write(
    *,
    message: Message,
    envelope_id: str,
    routing: InboundRouting,
    ticket: Join | Open | None,
    now: dt.datetime,
) -> tuple[bool, int | None]:
    """Write the message's rows; (written, the ticket's id). Not written: the envelope was
    already processed — the caller rolls its transaction back, nothing of this attempt stays.

    The envelope's unique index decides, even between concurrent deliveries (the second waits
    for the first to commit). When another message of the same contact opened a ticket first,
    the one-open-ticket index refuses ours and the message joins that one.
    """
    if connection.vendor == "postgresql":
        claimed, ticket_id = _write_postgres(message, envelope_id, routing, ticket, now)
    else:
        claimed, ticket_id = _write_one_by_one(message, envelope_id, routing, ticket, now)
    if claimed and isinstance(ticket, Open) and ticket_id is None:
        ticket_id = _join_the_winner(
            message=message, routing=routing, ticket=ticket.ticket, now=now
        )
    return claimed, ticket_id


def _saved(obj, pk: int):
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


def _claim_sql(message: Message, envelope_id: str) -> tuple[str, tuple]:
    envelope = ProcessedEnvelope(
        bot_id=message.bot_id, kind=ProcessedEnvelope.Kind.MESSAGE, envelope_id=envelope_id[:200]
    )
    return insert_sql(envelope, ignore_conflicts=True)


def _write_one_by_one(message, envelope_id, routing, ticket, now) -> tuple[bool, int | None]:
    if envelope_id:
        with connection.cursor() as cursor:
            cursor.execute(*_claim_sql(message, envelope_id))
            if cursor.fetchone() is None:
                return False, None
    message.save(force_insert=True)
    ticket_id = None
    if isinstance(ticket, Join):
        ticket_id = ticket.ticket_id
        _join(ticket_id=ticket_id, message_id=message.pk, now=now)
    elif isinstance(ticket, Open):
        try:
            with transaction.atomic():
                ticket.ticket.sequence = ticket_next_number(bot_id=ticket.ticket.bot_id)
                ticket.ticket.save(force_insert=True)
        except IntegrityError:
            pass  # another message opened one first: see _join_the_winner
        else:
            ticket_id = ticket.ticket.pk
            TicketMessage.objects.create(ticket_id=ticket_id, message_id=message.pk)
    routing.message, routing.ticket_id = message, ticket_id
    routing.save(force_insert=True)
    return True, ticket_id


def _join(*, ticket_id: int, message_id: int, now: dt.datetime) -> None:
    """The customer spoke: their silence ends (R24) and they wait for an answer since now."""
    TicketMessage.objects.create(ticket_id=ticket_id, message_id=message_id)
    Ticket.objects.filter(pk=ticket_id).update(
        customer_silent_since=None,
        inactivity_warned_at=None,
        awaiting_reply_since=Coalesce("awaiting_reply_since", Value(now)),
    )


def _write_postgres(message, envelope_id, routing, ticket, now) -> tuple[bool, int | None]:
    parts = _postgres_parts(message, envelope_id, routing, ticket, now)
    with_sql = ", ".join(f"{name} AS ({sql})" for name, sql, _params in parts)
    claimed = "EXISTS (SELECT 1 FROM claim)" if envelope_id else "TRUE"
    opened = "(SELECT id FROM t), (SELECT last FROM seq)" if isinstance(ticket, Open) else "0, 0"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {with_sql} SELECT {claimed}, (SELECT id FROM m), (SELECT id FROM r), {opened}",  # noqa: S608
            [p for _name, _sql, params in parts for p in params],
        )
        was_claimed, message_id, routing_id, ticket_id, number = cursor.fetchone()
    _saved(message, message_id)
    routing.message = message
    if isinstance(ticket, Open):
        routing.ticket_id = ticket_id  # None: another message's ticket won (_join_the_winner)
        if ticket_id is not None:
            ticket.ticket.sequence = number
            _saved(ticket.ticket, ticket_id)
    _saved(routing, routing_id)
    return was_claimed, routing.ticket_id


def _postgres_parts(message, envelope_id, routing, ticket, now) -> list[tuple[str, str, tuple]]:
    """The WITH clause's statements as (name, SQL, parameters); later ones read earlier ones."""
    parts: list[tuple[str, str, tuple]] = []
    if envelope_id:
        parts.append(("claim", *_claim_sql(message, envelope_id)))
    parts.append(("m", *insert_sql(message)))
    routing.message_id = RawSQL("(SELECT id FROM m)", ())
    if isinstance(ticket, Join):
        link = TicketMessage(
            ticket_id=ticket.ticket_id, message_id=RawSQL("(SELECT id FROM m)", ())
        )
        parts.append(("link", *insert_sql(link)))
        parts.append(
            (
                "reset",
                "UPDATE desk_ticket SET customer_silent_since = NULL, inactivity_warned_at = NULL,"
                " awaiting_reply_since = COALESCE(awaiting_reply_since, %s)"
                " WHERE id = %s RETURNING id",
                (now, ticket.ticket_id),
            )
        )
        routing.ticket_id = ticket.ticket_id
    elif isinstance(ticket, Open):
        parts += _open_parts(ticket.ticket)
        routing.ticket_id = RawSQL("(SELECT id FROM t)", ())
    parts.append(("r", *insert_sql(routing)))
    return parts


def _open_parts(ticket: Ticket) -> list[tuple[str, str, tuple]]:
    # The number comes from the sequence row in the same statement; the row's lock, held to the
    # end of the transaction, is what makes the numbers follow each other without gaps.
    ticket.sequence = RawSQL("(SELECT last FROM seq)", ())
    return [
        (
            "seq",
            "INSERT INTO desk_ticketsequence (bot_id, last) VALUES (%s, 1) ON CONFLICT (bot_id)"
            " DO UPDATE SET last = desk_ticketsequence.last + 1 RETURNING last",
            (ticket.bot_id,),
        ),
        ("t", *insert_sql(ticket, ignore_conflicts=True)),
        (
            "link",
            "INSERT INTO desk_ticketmessage (ticket_id, message_id, attendant_id)"
            " SELECT t.id, m.id, NULL FROM t, m RETURNING id",
            (),
        ),
    ]


def _join_the_winner(
    *, message: Message, routing: InboundRouting, ticket: Ticket, now: dt.datetime
) -> int:
    """Another message of the contact opened a ticket a moment ago: this one joins it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The number this statement took goes back: the sequence row is still locked by us.
            cursor.execute(
                "UPDATE desk_ticketsequence SET last = last - 1 WHERE bot_id = %s",
                [ticket.bot_id],
            )
    winner = Ticket.objects.values_list("id", flat=True).get(
        contact_id=message.contact_id, status__in=ACTIVE_TICKET_STATUSES
    )
    _join(ticket_id=winner, message_id=message.pk, now=now)
    InboundRouting.objects.filter(pk=routing.pk).update(ticket_id=winner)
    routing.ticket_id = winner
    return winner
