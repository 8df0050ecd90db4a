"""Writes of the Desk. Every function owns its transaction and validates before saving."""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bots.gateway import GatewayError, get_gateway
from bots.models import Bot, Contact, FlowBlock, Message
from bots.services import message_record
from desk.assignment import (
    attendant_fill_slots,
    attendant_take_next,
    desk_settings_for,
    fill_slots_after_commit,
    ticket_distribute,
)
from desk.live import events as live
from desk.models import (
    ACTIVE_TICKET_STATUSES,
    DEFAULT_TEAM_NAME,
    Attendant,
    ClosingTag,
    ReplyDirective,
    Team,
    TeamMembership,
    Ticket,
    TicketMessage,
    TicketSequence,
    TicketStatus,
)
from desk.presence import attendant_change_status, attendant_heartbeat  # noqa: F401 (re-exported)

DIRECTIVE_LIFETIME = dt.timedelta(hours=24)
# WhatsApp lets a business send free text only within 24 h of the contact's last message.
REPLY_WINDOW = dt.timedelta(hours=24)


def team_ensure_default(*, bot: Bot) -> Team:
    team, _created = Team.objects.get_or_create(bot=bot, name=DEFAULT_TEAM_NAME)
    return team


@transaction.atomic
def attendant_set_teams(*, attendant: Attendant, teams: Iterable[Team]) -> None:
    """Replace the attendant's teams; each must belong to the attendant's bot."""
    teams = list(teams)
    for team in teams:
        TeamMembership(attendant=attendant, team=team).clean()
    TeamMembership.objects.filter(attendant=attendant).exclude(team__in=teams).delete()
    existing = set(
        TeamMembership.objects.filter(attendant=attendant).values_list("team_id", flat=True)
    )
    TeamMembership.objects.bulk_create(
        [TeamMembership(attendant=attendant, team=t) for t in teams if t.pk not in existing]
    )


@transaction.atomic
def directive_create(
    *,
    contact: Contact,
    bot: Bot,
    sent_at: dt.datetime,
    source_label: str,
    source_id: int | None = None,
    attendant: Attendant | None = None,
    team: Team | None = None,
    human_block: FlowBlock | None = None,
    meant_for: Attendant | None = None,
    fallback_minutes: int | None = None,
) -> ReplyDirective:
    """Leave a directive for the contact's next reply, valid 24 h after the send (R11).

    A later send replaces the earlier directive (R12): the current one is superseded in the same
    transaction, and the partial unique index guarantees one current directive per contact even
    when two sends to the same contact race. ``meant_for`` is the absent attendant a substitute
    stands in for (R23); ``fallback_minutes`` hands the reply to the team after that wait (R22).
    """
    ReplyDirective.objects.filter(contact=contact, superseded=False).update(superseded=True)
    directive = _new_directive(
        contact,
        sent_at,
        bot=bot,
        attendant=attendant,
        team=team,
        human_block=human_block,
        source_label=source_label,
        source_id=source_id,
        meant_for=meant_for,
        fallback_minutes=fallback_minutes,
    )
    directive.full_clean(validate_constraints=False)
    directive.save()
    return directive


def directives_create_many(
    *,
    sends: Sequence[tuple[Contact, dt.datetime]],
    bot: Bot,
    source_label: str,
    source_id: int | None = None,
    attendant: Attendant | None = None,
    team: Team | None = None,
    human_block: FlowBlock | None = None,
    keep_newer: bool = False,
    meant_for: Attendant | None = None,
    fallback_minutes: int | None = None,
) -> list[ReplyDirective]:
    """``directive_create`` for many contacts sent by one campaign: one UPDATE, one INSERT (R12).

    ``sends`` pairs each contact with its send time; a contact given twice keeps its last send.
    The rows are not ``full_clean``-ed: the caller hands targets it already validated (the sending
    engine's come from a campaign that ``validate_campaign_for_send`` checked), and only the contact
    differs from row to row. The caller owns the transaction, so supersede and insert commit
    together; two racing sends to one contact still meet the partial unique index.

    ``keep_newer``: the sends are late news of older sends (a delivery event proving a send of
    unknown outcome), so a current directive sent after one of them stays, and that contact gets
    none (R12: the later send wins).
    """
    latest = {contact.pk: (contact, sent_at) for contact, sent_at in sends}
    if keep_newer and latest:
        newer = ReplyDirective.objects.filter(contact_id__in=list(latest), superseded=False)
        for contact_id, sent_at in newer.values_list("contact_id", "sent_at"):
            if sent_at > latest[contact_id][1]:
                del latest[contact_id]
    if not latest:
        return []
    ReplyDirective.objects.filter(contact_id__in=list(latest), superseded=False).update(
        superseded=True
    )
    target = {
        "bot": bot,
        "attendant": attendant,
        "team": team,
        "human_block": human_block,
        "source_label": source_label,
        "source_id": source_id,
        "meant_for": meant_for,
        "fallback_minutes": fallback_minutes,
    }
    return ReplyDirective.objects.bulk_create(
        _new_directive(contact, sent_at, **target)
        for contact, sent_at in sorted(latest.values(), key=lambda pair: pair[0].pk)
    )


def _new_directive(contact: Contact, sent_at: dt.datetime, *, source_label: str, **target):
    return ReplyDirective(
        contact=contact,
        source_label=source_label[:200],
        sent_at=sent_at,
        valid_until=sent_at + DIRECTIVE_LIFETIME,
        **target,
    )


def ticket_next_number(*, bot_id: int) -> int:
    """The next ticket number of a bot: the row lock of the UPDATE serialises concurrent takers."""
    if not TicketSequence.objects.filter(bot_id=bot_id).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                TicketSequence.objects.create(bot_id=bot_id, last=1)
                return 1
        except IntegrityError:
            TicketSequence.objects.filter(bot_id=bot_id).update(last=F("last") + 1)
    return TicketSequence.objects.values_list("last", flat=True).get(bot_id=bot_id)


def _move(*, ticket: Ticket, new: str, **fields) -> bool:
    """Compare-and-set a ticket's status along TICKET_TRANSITIONS; False when it moved meanwhile."""
    if not Ticket.can_move(ticket.status, new):
        raise ValidationError(
            _("This ticket cannot go from %(old)s to %(new)s.")
            % {"old": ticket.get_status_display(), "new": TicketStatus(new).label},
            code="ticket_transition",
        )
    return bool(
        Ticket.objects.filter(pk=ticket.pk, status=ticket.status).update(status=new, **fields)
    )


def attendant_has_free_slot(*, attendant: Attendant) -> bool:
    held = Ticket.objects.filter(attendant=attendant, status=TicketStatus.OPEN).count()
    return held < attendant.slots


@transaction.atomic
def ticket_attend_next(*, attendant: Attendant) -> Ticket | None:
    """Attend a new customer (R13): claim the next waiting ticket, or None when nothing waits.

    The claim is a compare-and-set filtered on status=waiting and skips tickets another
    transaction holds, so two attendants pressing the button together never get the same ticket.
    """
    # Lock the attendant's row so two clicks of the same person cannot both pass the slot check.
    attendant = Attendant.objects.select_for_update().get(pk=attendant.pk)
    if attendant.status != Attendant.Status.ONLINE:
        # Pause, Invisible and Offline all mean "not taking customers now", as in Blip Desk.
        raise ValidationError(
            _("Set your status to Online to attend a new customer."), code="attendant_not_online"
        )
    if not attendant_has_free_slot(attendant=attendant):
        raise ValidationError(
            _("All your slots are taken: close a ticket before attending a new customer."),
            code="slots_full",
        )
    claimed = attendant_take_next(attendant=attendant, free_slots=1)
    return Ticket.objects.get(pk=claimed[0]) if claimed else None


def _closing_tags(ticket: Ticket, tags: Iterable[ClosingTag]) -> list[ClosingTag]:
    """The chosen tags, each an active tag of the ticket's bot; at least one when required."""
    tags = list(tags)
    if any(tag.bot_id != ticket.bot_id or not tag.is_active for tag in tags):
        raise ValidationError(
            {"tags": ValidationError(_("Choose tags of this Desk."), code="tag_other_bot")}
        )
    if not tags and desk_settings_for(bot_id=ticket.bot_id).closing_tag_required:
        raise ValidationError(
            {
                "tags": ValidationError(
                    _("Choose at least one closing tag to close this ticket."),
                    code="R25_closing_tag_required",
                )
            }
        )
    return tags


@transaction.atomic
def ticket_close(*, ticket: Ticket, tags: Iterable[ClosingTag] = ()) -> Ticket:
    """The attendant (or a supervisor) closes an open ticket, with its closing tags (R25).

    The freed slot takes the next waiting customer at once in automatic mode (R21).
    """
    tags = _closing_tags(ticket, tags)
    if not _move(ticket=ticket, new=TicketStatus.CLOSED_BY_ATTENDANT, closed_at=timezone.now()):
        raise ValidationError(_("This ticket changed meanwhile."), code="ticket_changed")
    ticket.tags.add(*tags)
    live.ticket_closed(ticket_id=ticket.pk, attendant_id=ticket.attendant_id)
    attendant_fill_slots(attendant_id=ticket.attendant_id)
    ticket.refresh_from_db()
    return ticket


@transaction.atomic
def ticket_transfer(
    *, ticket: Ticket, team: Team | None = None, attendant: Attendant | None = None
) -> Ticket:
    """Close ``ticket`` as Transferred and open a waiting one for the team or the attendant."""
    if (team is None) == (attendant is None):
        raise ValidationError(_("Choose a team or an attendant."), code="transfer_target")
    target_bot_id = (team or attendant).bot_id
    if target_bot_id != ticket.bot_id:
        raise ValidationError(
            _("Transfer only within the ticket's Desk."), code="transfer_other_bot"
        )
    if team is None:
        team = team_ensure_default(bot=ticket.bot)
    if not _move(ticket=ticket, new=TicketStatus.TRANSFERRED, closed_at=timezone.now()):
        raise ValidationError(_("This ticket changed meanwhile."), code="ticket_changed")
    target = attendant.email if attendant else team.name
    new = Ticket(
        bot_id=ticket.bot_id,
        sequence=ticket_next_number(bot_id=ticket.bot_id),
        contact_id=ticket.contact_id,
        team=team,
        requested_attendant=attendant,
        routed_by=Ticket.RoutedBy.TRANSFER,
        routing_reason=f"transferred from #{ticket.sequence} to {target}"[:300],
        routing_code="transfer",
        routing_params={"ticket": ticket.sequence, "target": target},
        directive_id=ticket.directive_id,
        awaiting_reply_since=ticket.awaiting_reply_since,
    )
    new.full_clean(validate_constraints=False)
    new.save()
    Ticket.objects.filter(pk=ticket.pk).update(transferred_to=new)
    live.ticket_closed(ticket_id=ticket.pk, attendant_id=ticket.attendant_id)
    live.ticket_waiting(ticket_id=new.pk)  # announced as assigned if distributed just below
    # The new ticket is placed now; the freed slot fills once this transaction has committed,
    # so that no transaction ever waits for the rows of two separate choices (desk.assignment).
    ticket_distribute(ticket_id=new.pk, announce=False)
    if ticket.status == TicketStatus.OPEN:
        fill_slots_after_commit(attendant_id=ticket.attendant_id)
    new.refresh_from_db()
    return new


def reply_window_open(*, contact: Contact, now: dt.datetime | None = None) -> bool:
    last = contact.last_inbound_at
    return last is not None and (now or timezone.now()) - last < REPLY_WINDOW


def ticket_reply(*, ticket: Ticket, attendant: Attendant | None, text: str) -> Message:
    """Send the attendant's answer through the gateway and log it on the ticket."""
    # Browsers submit a textarea's line breaks as CRLF; WhatsApp shows plain LF.
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": ValidationError(_("Write a message."), code="empty")})
    if ticket.status != TicketStatus.OPEN:
        raise ValidationError(_("Only an open ticket can be answered."), code="ticket_not_open")
    contact = ticket.contact
    if not reply_window_open(contact=contact):
        raise ValidationError(
            _(
                "The contact's last message is more than 24 hours old: WhatsApp allows only an "
                "approved template now."
            ),
            code="window_closed",
        )
    message = ticket_send_text(ticket=ticket, attendant=attendant, text=text)
    if message.status == Message.Status.SENT:
        # The customer's turn now: the inactivity clock starts, the unanswered flag clears (R24).
        Ticket.objects.filter(pk=ticket.pk).update(
            customer_silent_since=message.created_at,
            inactivity_warned_at=None,
            awaiting_reply_since=None,
            unanswered_flagged_at=None,
        )
    return message


def ticket_send_text(
    *, ticket: Ticket, attendant: Attendant | None, text: str, payload: dict | None = None
) -> Message:
    """Record a text on the ticket, then hand it to the gateway; Failed with the reason if refused.

    No checks: ``ticket_reply`` (the attendant) and the inactivity warning (the Desk) make them.
    """
    with transaction.atomic():
        message = message_record(
            bot=ticket.bot,
            contact=ticket.contact,
            direction=Message.Direction.OUTBOUND,
            text=text,
            status=Message.Status.PENDING,
            payload=payload,
        )
        TicketMessage.objects.create(ticket=ticket, message=message, attendant=attendant)
        live.ticket_message(ticket_id=ticket.pk, text=text, inbound=False)
    # Outside the transaction: the message is on record before the network is touched.
    try:
        gateway_id = get_gateway().send_text(
            bot=ticket.bot, contact=ticket.contact, message_id=str(message.pk), text=text
        )
    except GatewayError as exc:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.FAILED, failure_reason=str(exc)[:300]
        )
    else:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.SENT, gateway_message_id=gateway_id or ""
        )
    message.refresh_from_db()
    return message


def ticket_active_for_contact(*, contact: Contact) -> Ticket | None:
    return Ticket.objects.filter(contact=contact, status__in=ACTIVE_TICKET_STATUSES).first()
