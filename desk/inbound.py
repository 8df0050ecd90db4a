"""The inbound pipeline: one contact message in, one routing decision applied and recorded.

The webhook, ``receive_message`` and the contact simulator all call ``inbound_receive``. It reads
what the decision needs with a fixed number of indexed queries (whatever the size of the data),
asks the pure ``desk.routing.decide`` where the message goes, and applies the answer.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from bots.identities import contact_for_inbound
from bots.models import Bot, Contact, ContactState, Message, ProcessedEnvelope
from bots.services import message_record
from desk.assignment import ticket_distribute
from desk.live import events as live
from desk.models import (
    ACTIVE_TICKET_STATUSES,
    DEFAULT_TEAM_NAME,
    InboundRouting,
    ReplyDirective,
    RuleCondition,
    Team,
    TeamMembership,
    Ticket,
    TicketMessage,
)
from desk.optout import contact_opt_out_by_reply, opt_out_requested, policy_for
from desk.routing import (
    ConditionData,
    Decision,
    DirectiveData,
    InboundContext,
    ReasonCode,
    RuleData,
    Target,
    decide,
)
from desk.services import team_ensure_default, ticket_next_number
from desk.signals import contact_replied


@dataclass(frozen=True)
class InboundResult:
    duplicate: bool
    message: Message | None = None
    decision: Decision | None = None
    routing: InboundRouting | None = None
    ticket_id: int | None = None
    contact: Contact | None = None
    matched_by: str = ""  # how the contact was found (R18): identity, phone, ninth_digit, created
    assigned_to: str = ""  # e-mail of the attendant who received a new ticket at once (R21)


@dataclass
class _Facts:
    """The rows the decision is made from, read once."""

    open_ticket_id: int | None
    directive: ReplyDirective | None
    state: ContactState | None
    rules: tuple[RuleData, ...]
    default_teams: dict[int, int]  # bot id → its Default team id

    @property
    def desk_bot_id(self) -> int | None:
        """The (sub-)bot whose Desk takes a new ticket: the directive's, else the human state's."""
        if self.directive is not None:
            return self.directive.bot_id
        if self.state is not None and self.state.block is not None and self.state.block.is_human:
            return self.state.bot_id
        return None


@transaction.atomic
def inbound_receive(
    *,
    bot: Bot,
    phone: str,
    text: str,
    identity: str = "",
    envelope_id: str = "",
    kind: str = Message.Kind.TEXT,
    payload: dict | None = None,
    name: str = "",
    now: dt.datetime | None = None,
) -> InboundResult:
    """Record a contact's message on ``bot`` (top-level), route it and apply the decision.

    ``identity`` is the WhatsApp node the message came from (``5511…@wa.gw.msging.net``) and
    ``phone`` its E.164 number: the contact is found by either, or by the other form of a
    Brazilian mobile (R18). Idempotent by ``envelope_id``: the envelope row is inserted first, so
    a redelivery (even a concurrent one) meets the unique index and becomes a no-op.
    """
    bot = bot.top_level
    now = now or timezone.now()
    if envelope_id and not _claim_envelope(bot=bot, envelope_id=envelope_id):
        return InboundResult(duplicate=True)
    match = contact_for_inbound(bot=bot, phone=phone, identity=identity, name=name)
    contact = match.contact
    message = message_record(
        bot=bot,
        contact=contact,
        direction=Message.Direction.INBOUND,
        text=text,
        status=Message.Status.RECEIVED,
        kind=kind,
        payload=payload,
        gateway_message_id=envelope_id,
    )
    _touch(contact=contact, now=now, identity=match.store_identity)
    asked = _opt_out(bot=bot, contact=contact, message=message, now=now)
    facts = _gather(contact=contact)
    decision = decide(_context(contact=contact, text=text, now=now, facts=facts, opt_out=asked))
    ticket_id, assigned_to = _apply(
        contact=contact, message=message, decision=decision, facts=facts, now=now
    )
    routing = InboundRouting.objects.create(
        message=message,
        target=str(decision.target),
        reason_code=str(decision.reason_code),
        reason=decision.reason[:300],
        reason_params=decision.reason_params,
        ticket_id=ticket_id,
        block=facts.state.block if facts.state and decision.target == Target.FLOW_BLOCK else None,
    )
    transaction.on_commit(
        lambda: contact_replied.send(
            sender=InboundResult, bot=bot, contact=contact, message=message, at=now
        )
    )
    return InboundResult(
        duplicate=False,
        message=message,
        decision=decision,
        routing=routing,
        ticket_id=ticket_id,
        contact=contact,
        matched_by=match.matched_by,
        assigned_to=assigned_to,
    )


def _opt_out(*, bot: Bot, contact: Contact, message: Message, now: dt.datetime) -> str:
    """R20: how the message asks to opt out ("" when it does not), recorded when it does."""
    policy = policy_for(bot=bot)
    asked = opt_out_requested(
        policy=policy, text=message.text, kind=message.kind, payload=message.payload or {}
    )
    if asked:
        contact_opt_out_by_reply(contact=contact, source=asked, at=now, policy=policy)
    return asked


def _touch(*, contact: Contact, now: dt.datetime, identity: str) -> None:
    """Record the message's time and, the first time a reply shows it, the contact's identity.

    One UPDATE either way; the identity is only taken when no other row of the bot holds it
    (that row would have been found and merged, so this guards a race, not a normal case).
    """
    fields: dict = {"last_inbound_at": now}
    if identity:
        taken = Contact.objects.filter(bot_id=contact.bot_id, whatsapp_identity=identity)
        fields["whatsapp_identity"] = Case(
            When(Exists(taken), then=F("whatsapp_identity")), default=Value(identity)
        )
    Contact.objects.filter(pk=contact.pk).update(**fields)
    contact.last_inbound_at = now


def _claim_envelope(*, bot: Bot, envelope_id: str) -> bool:
    try:
        with transaction.atomic():
            ProcessedEnvelope.objects.create(
                bot=bot, kind=ProcessedEnvelope.Kind.MESSAGE, envelope_id=envelope_id[:200]
            )
    except IntegrityError:
        return False
    return True


def _gather(*, contact: Contact) -> _Facts:
    """Five queries, each on an index, whatever the number of contacts, tickets or directives."""
    open_ticket_id = (
        Ticket.objects.filter(contact=contact, status__in=ACTIVE_TICKET_STATUSES)
        .values_list("id", flat=True)
        .first()
    )
    directive = (
        ReplyDirective.objects.filter(contact=contact, superseded=False)
        .select_related("attendant", "team", "meant_for")
        .annotate(attendant_team_id=Subquery(_ATTENDANT_TEAM))
        .order_by("-sent_at", "-id")
        .first()
    )
    state = ContactState.objects.filter(contact=contact).select_related("block").first()
    rules_bot_id = state.bot_id if state else None
    conditions = (
        RuleCondition.objects.filter(rule__bot_id=rules_bot_id, rule__is_active=True)
        .order_by("rule__priority", "rule_id", "id")
        .values_list(*_CONDITION_COLUMNS)
    )
    team_bots = {b for b in (rules_bot_id, directive.bot_id if directive else None) if b}
    default_teams = dict(
        Team.objects.filter(bot_id__in=team_bots, name=DEFAULT_TEAM_NAME)
        .order_by()  # the model's ordering would join the bots table for nothing
        .values_list("bot_id", "id")
    )
    return _Facts(open_ticket_id, directive, state, _rules(conditions), default_teams)


# The team a ticket directed to an attendant is filed under: one of the attendant's own teams,
# Default only when it is their only one (the lowest id decides between several).
_ATTENDANT_TEAM = (
    TeamMembership.objects.filter(attendant_id=OuterRef("attendant_id"))
    .order_by(Case(When(team__name=DEFAULT_TEAM_NAME, then=Value(1)), default=Value(0)), "team_id")
    .values("team_id")[:1]
)

_CONDITION_COLUMNS = (
    "rule_id",
    "rule__name",
    "rule__team_id",
    "rule__team__name",
    "rule__operator",
    "source",
    "relation",
    "values",
    "extra_key",
)


def _rules(conditions) -> tuple[RuleData, ...]:
    # Plain tuples, not model instances: this runs for every inbound message.
    # A rule without conditions never matches (routing._rule_matches), so the join loses nothing.
    heads: dict[int, tuple] = {}
    grouped: dict[int, list[ConditionData]] = {}
    for rule_id, name, team_id, team_name, operator, source, relation, values, key in conditions:
        heads.setdefault(rule_id, (name, team_id, team_name, operator))
        grouped.setdefault(rule_id, []).append(
            ConditionData(
                source=source,
                relation=relation,
                values=tuple(v for v in values or () if isinstance(v, str)),
                extra_key=key,
            )
        )
    return tuple(
        RuleData(
            id=rule_id,
            name=heads[rule_id][0],
            team_id=heads[rule_id][1],
            team_name=heads[rule_id][2],
            operator=heads[rule_id][3],
            conditions=tuple(conds),
        )
        for rule_id, conds in grouped.items()
    )


def _context(
    *, contact: Contact, text: str, now: dt.datetime, facts: _Facts, opt_out: str = ""
) -> InboundContext:
    d = facts.directive
    directive = None
    if d is not None:
        directive = DirectiveData(
            id=d.id,
            valid_until=d.valid_until,
            source_label=d.source_label,
            attendant_id=d.attendant_id,
            attendant_email=d.attendant.email if d.attendant else "",
            team_id=d.team_id,
            team_name=d.team.name if d.team else "",
            fallback_minutes=d.fallback_minutes,
            meant_for_email=d.meant_for.email if d.meant_for else "",
        )
    state = facts.state
    block = state.block if state else None
    extras = contact.extras if isinstance(contact.extras, dict) else {}
    return InboundContext(
        now=now,
        text=text,
        contact_name=contact.name,
        contact_email=contact.email,
        extras={k: v for k, v in extras.items() if isinstance(v, str)},
        open_ticket_id=facts.open_ticket_id,
        directive=directive,
        state_block_id=block.block_id if block else None,
        state_block_is_human=bool(block and block.is_human),
        rules=facts.rules,
        default_team_id=facts.default_teams.get(state.bot_id) if state else None,
        opt_out=bool(opt_out),
    )


def _apply(
    *, contact: Contact, message: Message, decision: Decision, facts: _Facts, now: dt.datetime
) -> tuple[int | None, str]:
    """The ticket the message joins or opens, and who received a new ticket at once (R21)."""
    if decision.target == Target.FLOW_BLOCK:
        return None, ""  # No bot engine here: the decision is recorded and the flow would take it.
    if decision.target == Target.OPT_OUT:
        return None, ""  # R20: recorded on the contact; nobody is handed the conversation
    ticket_id, opened = decision.ticket_id, None
    if decision.target == Target.EXISTING_TICKET:
        live.ticket_message(ticket_id=ticket_id, text=message.text, inbound=True)
    else:
        ticket_id, opened = _open_ticket(contact=contact, decision=decision, facts=facts, now=now)
        live.ticket_waiting(ticket_id=ticket_id)  # announced as assigned if distributed below
    TicketMessage.objects.create(ticket_id=ticket_id, message=message)
    if opened is None:
        # The customer spoke: their silence ends (R24) and they wait for an answer since now.
        Ticket.objects.filter(pk=ticket_id).update(
            customer_silent_since=None,
            inactivity_warned_at=None,
            awaiting_reply_since=Coalesce("awaiting_reply_since", Value(now)),
        )
        return ticket_id, ""
    placement = {
        "bot_id": opened.bot_id,
        "team_id": opened.team_id,
        "requested_attendant_id": opened.requested_attendant_id,
    }
    assigned = ticket_distribute(ticket_id=ticket_id, now=now, ticket=placement, announce=False)
    return ticket_id, assigned.email if assigned else ""


def _ticket_team_id(*, decision: Decision, facts: _Facts, bot_id: int) -> int:
    """The decision's team; for an attendant, one of theirs; else the Desk's Default team."""
    team_id = decision.team_id
    if team_id is None and decision.attendant_id is not None:
        team_id = getattr(facts.directive, "attendant_team_id", None)
    team_id = team_id or facts.default_teams.get(bot_id)
    if team_id is None:  # A Desk without its Default team (made before the receiver existed).
        team_id = team_ensure_default(bot=Bot.objects.get(pk=bot_id)).pk
    return team_id


def _open_ticket(
    *, contact: Contact, decision: Decision, facts: _Facts, now: dt.datetime
) -> tuple[int, Ticket | None]:
    """The new ticket's id and row; when another message opened one first, its id and None."""
    if decision.reason_code == ReasonCode.DIRECTIVE:
        bot_id = facts.directive.bot_id
        routed_by = Ticket.RoutedBy.DIRECTIVE
    else:
        bot_id = facts.state.bot_id
        routed_by = (
            Ticket.RoutedBy.RULE
            if decision.reason_code == ReasonCode.RULE
            else Ticket.RoutedBy.DEFAULT
        )
    team_id = _ticket_team_id(decision=decision, facts=facts, bot_id=bot_id)
    # The rows come straight from the database and the constraints guard the rest, so the hot
    # path skips full_clean() and its per-foreign-key lookups.
    ticket = Ticket(
        bot_id=bot_id,
        contact=contact,
        team_id=team_id,
        requested_attendant_id=decision.attendant_id,
        routed_by=routed_by,
        routing_reason=decision.reason[:300],
        routing_code=str(decision.reason_code),
        routing_params=decision.reason_params,
        directive_id=decision.directive_id,
        meant_for=facts.directive.meant_for if decision.directive_id else None,
        fallback_at=now + dt.timedelta(minutes=decision.fallback_minutes)
        if decision.fallback_minutes
        else None,
        awaiting_reply_since=now,
    )
    try:
        with transaction.atomic():
            ticket.sequence = ticket_next_number(bot_id=bot_id)
            ticket.save(force_insert=True)
    except IntegrityError:
        # Another message of the same contact opened a ticket a moment ago: join it.
        joined = Ticket.objects.get(contact=contact, status__in=ACTIVE_TICKET_STATUSES)
        return joined.pk, None
    return ticket.pk, ticket
