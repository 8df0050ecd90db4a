"""What a send leaves behind once it is known to have gone out: one function for every path.

A recipient that moves to Sent (or further) for the first time gets its channel-log message
(the conversation history the Desk and the simulator show) and its reply routing: directives to
the Desk (R11, R12) or the contact's flow state. The sending engine calls ``send_effects_write``
when it records accepted sends; the delivery-event path calls it when an event proves a send
whose outcome was unknown (``campaigns.sending.late``). Both call it in the same transaction as
the compare-and-set that moved the recipient, so it happens exactly once.

A late send is written as what it was: an older send. Its directive never replaces a newer one
and is not written at all once its 24 hours are over; its flow state never overrides a state
set after it (R12: the later send wins).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from bots.models import ContactState, Message
from bots.services import contacts_move_to_block
from campaigns.models import Campaign, Recipient
from campaigns.sending.render import render_body
from desk.services import DIRECTIVE_LIFETIME, directives_create_many


@dataclass(frozen=True)
class SentRecord:
    """A send that went out: the recipient, the gateway's id, what was sent and when."""

    recipient: Recipient
    gateway_id: str
    components: list
    sent_at: dt.datetime


def send_effects_write(
    *,
    campaign: Campaign,
    sends: Sequence[SentRecord],
    status: str = Message.Status.SENT,
    late: bool = False,
) -> None:
    """The channel-log messages (with ``status``) and the reply routing of ``sends``.

    ``late``: the sends are older than what may have happened since (a delivery event proving a
    send of unknown outcome); newer directives and flow states are kept.
    """
    if not sends:
        return
    channel_log_write(campaign=campaign, sends=sends, status=status)
    routing_apply(
        campaign=campaign, sent=[(r.recipient.contact, r.sent_at) for r in sends], late=late
    )


_MESSAGE_COLUMNS = (
    "bot_id, contact_id, direction, kind, text, payload, status, gateway_message_id, "
    "failure_reason, created_at"
)


def channel_log_write(
    *, campaign: Campaign, sends: Sequence[SentRecord], status: str = Message.Status.SENT
) -> None:
    """The channel-log rows of ``sends``, in one statement.

    On PostgreSQL the rows travel as one JSON document (``jsonb_to_recordset``): serialising it
    is one C call, where ``bulk_create`` spends most of a chunk's record building model
    instances and quoting every column's array of values in Python. Elsewhere, ``bulk_create``.
    """
    if connection.vendor != "postgresql":
        Message.objects.bulk_create(channel_log_message(campaign, r, status) for r in sends)
        return
    # What is the same for every row of the campaign travels once, as parameters; each row
    # carries only its own values, and the database builds the payload around them.
    template = campaign.template
    rows = [
        {
            "c": record.recipient.contact_id,
            "t": render_body(template, record.recipient.parameters or {}),
            "k": record.components,
            "h": _header(template, record.recipient.parameters or {}),
            "r": record.recipient.pk,
            "g": record.gateway_id,
        }
        for record in sends
    ]
    buttons = [{"text": b.get("text", "")} for b in template.buttons or []]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(Message._meta.db_table)} ({_MESSAGE_COLUMNS}) "  # noqa: S608
            "SELECT %s, r.c, %s, %s, r.t, jsonb_build_object("
            "'template', %s::text, 'template_name', %s::text, 'header', r.h, "
            "'buttons', %s::jsonb, 'components', r.k, 'campaign_id', %s::bigint, "
            "'recipient_id', r.r), %s, r.g, '', %s FROM ROWS FROM "
            "(jsonb_to_recordset(%s::jsonb) AS (c bigint, t text, k jsonb, h jsonb, r bigint, "
            "g text)) WITH ORDINALITY AS r(c, t, k, h, r, g, n) ORDER BY r.n",
            [
                campaign.bot.top_level.pk,
                Message.Direction.OUTBOUND,
                Message.Kind.TEMPLATE,
                template.name,
                template.name,
                json.dumps(buttons),
                campaign.pk,
                status,
                timezone.now(),
                json.dumps(rows),
            ],
        )


def channel_log_message(
    campaign: Campaign, record: SentRecord, status: str = Message.Status.SENT
) -> Message:
    """The channel-log row of one send (what ``message_record`` would write)."""
    text, payload = _channel_log_content(campaign, record)
    return Message(
        bot=campaign.bot.top_level,
        contact=record.recipient.contact,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.TEMPLATE,
        text=text,
        payload=payload,
        status=status,
        gateway_message_id=record.gateway_id,
    )


def _channel_log_content(campaign: Campaign, record: SentRecord) -> tuple[str, dict]:
    """The text and payload of one send's channel-log row."""
    template, recipient = campaign.template, record.recipient
    parameters = recipient.parameters or {}
    payload = {
        "template": template.name,
        # What the Desk's history and the contact simulator show of the template.
        "template_name": template.name,
        "header": _header(template, parameters),
        "buttons": [{"text": b.get("text", "")} for b in template.buttons or []],
        "components": record.components,
        "campaign_id": campaign.pk,
        "recipient_id": recipient.pk,
    }
    return render_body(template, parameters), payload


def _header(template, parameters: dict) -> dict | None:
    """The template's header as the conversation shows it: its text, or its media's address."""
    if template.header_text:
        return {"text": template.header_text}
    if template.has_media_header and parameters.get("header"):
        return {"type": template.header_type, "link": str(parameters["header"])}
    return None


def routing_apply(*, campaign: Campaign, sent: list[tuple], late: bool = False) -> None:
    """Where the contacts' replies go: the flow block, or directives to the Desk (R11, R12).

    ``sent`` pairs each contact with its send time. No ``full_clean`` on these rows: bot, block,
    team and attendant all come from the campaign, which ``validate_campaign_for_send`` validated
    before it could start sending.
    """
    if late:
        sent = _still_current(sent)
    if campaign.routing != Campaign.Routing.FLOW:
        live = [(c, at) for c, at in sent if not late or at + DIRECTIVE_LIFETIME > timezone.now()]
        if live:
            directives_create_many(
                sends=live,
                bot=campaign.routing_bot,
                source_label=campaign.name,
                source_id=campaign.pk,
                attendant=campaign.attendant
                if campaign.routing == Campaign.Routing.ATTENDANT
                else None,
                team=campaign.team if campaign.routing == Campaign.Routing.TEAM else None,
                human_block=campaign.flow_block,
                keep_newer=late,
                # R23: the absent attendant a substitute stands in for; R22: the hand-over.
                meant_for=campaign.absent_attendant,
                fallback_minutes=campaign.fallback_minutes
                if campaign.fallback == Campaign.Fallback.TEAM
                else None,
            )
    if sent and (campaign.flow_block is not None or campaign.routing == Campaign.Routing.FLOW):
        contacts_move_to_block(
            contacts=[contact for contact, _sent_at in sent],
            bot=campaign.routing_bot,
            block=campaign.flow_block,
        )


def _still_current(sent: list[tuple]) -> list[tuple]:
    """The late sends whose contact's flow state was not set after them."""
    states = ContactState.objects.filter(contact_id__in=[c.pk for c, _at in sent])
    moved_since = dict(states.values_list("contact_id", "updated_at"))
    return [(c, at) for c, at in sent if c.pk not in moved_since or moved_since[c.pk] <= at]
