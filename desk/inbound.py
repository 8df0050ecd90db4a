"""The inbound pipeline: one contact message in, one routing decision applied and recorded.

The webhook, ``receive_message`` and the contact simulator all call ``inbound_receive``. Inside
its transaction it does only what the decision needs and what must be true once it commits:

1. one read of the contact (R18), its state, open ticket and live directive
   (``desk.inbound_facts``), with the bot's rules and policy from a versioned cache
   (``desk.inbound_config``);
2. the pure ``desk.routing.decide``;
3. the writes (``desk.inbound_writes``): the envelope claim (idempotency), the message, the
   ticket it joins (with the R24 silence reset) or opens, and the decision's record.

Everything else runs after commit in a task (``desk.inbound_effects``): the contact's time and
identity, live events, distribution (R21), Replied (R19) and webhooks. On PostgreSQL a message
costs three statements (the webhook's bot, the facts, the writes), whatever the size of the data.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from bots.identities import contact_for_inbound, contact_match_of
from bots.models import Bot, Contact, Message
from bots.phones import phone_forms
from desk import jobs
from desk.inbound_config import InboundConfig, config_for
from desk.inbound_facts import ContactFacts, facts_read
from desk.inbound_writes import Join, Open, inbound_write
from desk.models import InboundRouting, Ticket
from desk.optout import contact_opt_out_by_reply, opt_out_requested
from desk.routing import Decision, DirectiveData, InboundContext, ReasonCode, Target, decide
from desk.services import team_ensure_default


@dataclass(frozen=True)
class InboundResult:
    duplicate: bool
    message: Message | None = None
    decision: Decision | None = None
    routing: InboundRouting | None = None
    ticket_id: int | None = None
    contact: Contact | None = None
    matched_by: str = ""  # how the contact was found (R18): identity, phone, ninth_digit, created
    opened: bool = False  # the message opened its ticket (distributed after commit, R21)


class _Found(NamedTuple):
    matched_by: str  # R18: identity, phone, ninth_digit, created
    store_identity: str  # the identity to keep on the contact (after commit)
    cache_version: int  # of the bot's cached configuration, read with the facts


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
    Brazilian mobile (R18). Idempotent by ``envelope_id``: a redelivery (even a concurrent one)
    meets the envelope's unique index and becomes a no-op that writes nothing.
    """
    bot = bot.top_level
    now = now or timezone.now()
    with transaction.atomic():
        facts, found = _contact(bot=bot, phone=phone, identity=identity, name=name)
        contact = facts.contact
        message = Message(
            bot=bot,
            contact=contact,
            direction=Message.Direction.INBOUND,
            kind=kind,
            text=text,
            payload=payload or {},
            status=Message.Status.RECEIVED,
            gateway_message_id=envelope_id,
        )
        config = config_for(bot=bot, version=found.cache_version)
        asked = _opt_out(config=config, contact=contact, message=message, now=now)
        decision = decide(_context(facts=facts, config=config, text=text, now=now, asked=asked))
        routing = InboundRouting(
            target=str(decision.target),
            reason_code=str(decision.reason_code),
            reason=decision.reason[:300],
            reason_params=decision.reason_params,
            block_id=facts.state.block_pk
            if facts.state and decision.target == Target.FLOW_BLOCK
            else None,
        )
        ticket = _ticket(facts=facts, config=config, decision=decision, now=now)
        written, ticket_id = inbound_write(
            message=message, envelope_id=envelope_id, routing=routing, ticket=ticket, now=now
        )
        if not written:
            transaction.set_rollback(True)  # a redelivery: whatever this attempt wrote goes too
            return InboundResult(duplicate=True)
        opened = isinstance(ticket, Open) and ticket.ticket.pk == ticket_id
        effects = {"routing_id": routing.pk, "at": now.isoformat(), "opened": opened}
        effects["identity"] = found.store_identity
        # Robust: a broker that is down must not fail a webhook whose message is committed; the
        # Desk timers run the effects of a message whose task never came (inbound_effects_repair).
        transaction.on_commit(lambda: jobs.inbound_effects(**effects), robust=True)
    return InboundResult(
        duplicate=False,
        message=message,
        decision=decision,
        routing=routing,
        ticket_id=ticket_id,
        contact=contact,
        matched_by=found.matched_by,
        opened=opened,
    )


def _contact(*, bot: Bot, phone: str, identity: str, name: str) -> tuple[ContactFacts, _Found]:
    """The contact's facts, how it was found, the identity to keep, the cache version.

    One row found by the one query is the usual case. None (a new contact), several (one person
    twice, from before R18) or a name to fill in take ``contact_for_inbound``, which creates or
    merges, and the facts are read again for the contact it settled on.
    """
    facts = facts_read(bot=bot, phones=phone_forms(phone), identity=identity)
    rows = facts.candidates
    if len(rows) == 1 and not (name and not rows[0].contact.name):
        match = contact_match_of(contact=rows[0].contact, phone=phone, identity=identity)
        return rows[0], _Found(match.matched_by, match.store_identity, facts.cache_version)
    match = contact_for_inbound(bot=bot, phone=phone, identity=identity, name=name)
    facts = facts_read(bot=bot, contact_id=match.contact.pk)
    return facts.candidates[0], _Found(match.matched_by, match.store_identity, facts.cache_version)


def _opt_out(*, config: InboundConfig, contact: Contact, message: Message, now) -> str:
    """R20: how the message asks to opt out ("" when it does not), recorded when it does."""
    policy = config.opt_out
    asked = opt_out_requested(
        policy=policy, text=message.text, kind=message.kind, payload=message.payload or {}
    )
    if asked:
        contact_opt_out_by_reply(contact=contact, source=asked, at=now, policy=policy)
    return asked


def _context(
    *, facts: ContactFacts, config: InboundConfig, text: str, now: dt.datetime, asked: str
) -> InboundContext:
    d = facts.directive
    directive = None
    if d is not None:
        directive = DirectiveData(
            id=d.id,
            valid_until=d.valid_until,
            source_label=d.source_label,
            attendant_id=d.attendant_id,
            attendant_email=d.attendant_email,
            team_id=d.team_id,
            team_name=d.team_name,
            fallback_minutes=d.fallback_minutes,
            meant_for_email=d.meant_for_email,
        )
    state, contact = facts.state, facts.contact
    extras = contact.extras if isinstance(contact.extras, dict) else {}
    return InboundContext(
        now=now,
        text=text,
        contact_name=contact.name,
        contact_email=contact.email,
        extras={k: v for k, v in extras.items() if isinstance(v, str)},
        open_ticket_id=facts.open_ticket_id,
        directive=directive,
        state_block_id=state.block_id if state else None,
        state_block_is_human=bool(state and state.is_human),
        rules=config.rules.get(state.bot_id, ()) if state else (),
        default_team_id=config.default_teams.get(state.bot_id) if state else None,
        opt_out=bool(asked),
    )


def _ticket(
    *, facts: ContactFacts, config: InboundConfig, decision: Decision, now: dt.datetime
) -> Join | Open | None:
    """The ticket the message joins or opens; None for the flow or an opt-out."""
    if decision.target in (Target.FLOW_BLOCK, Target.OPT_OUT):
        # No bot engine here: the flow would take it. An opt-out is recorded on the contact (R20)
        # and nobody is handed the conversation.
        return None
    if decision.target == Target.EXISTING_TICKET:
        return Join(decision.ticket_id)
    return Open(_new_ticket(facts=facts, config=config, decision=decision, now=now))


def _new_ticket(
    *, facts: ContactFacts, config: InboundConfig, decision: Decision, now: dt.datetime
) -> Ticket:
    directed = decision.reason_code == ReasonCode.DIRECTIVE
    bot_id = facts.directive.bot_id if directed else facts.state.bot_id
    if directed:
        routed_by = Ticket.RoutedBy.DIRECTIVE
    elif decision.reason_code == ReasonCode.RULE:
        routed_by = Ticket.RoutedBy.RULE
    else:
        routed_by = Ticket.RoutedBy.DEFAULT
    # The rows come straight from the database and the constraints guard the rest, so the hot
    # path skips full_clean() and its per-foreign-key lookups.
    return Ticket(
        bot_id=bot_id,
        contact=facts.contact,
        team_id=_team_id(facts=facts, config=config, decision=decision, bot_id=bot_id),
        requested_attendant_id=decision.attendant_id,
        routed_by=routed_by,
        routing_reason=decision.reason[:300],
        routing_code=str(decision.reason_code),
        routing_params=decision.reason_params,
        directive_id=decision.directive_id,
        meant_for_id=facts.directive.meant_for_id if decision.directive_id else None,
        fallback_at=now + dt.timedelta(minutes=decision.fallback_minutes)
        if decision.fallback_minutes
        else None,
        awaiting_reply_since=now,
    )


def _team_id(*, facts: ContactFacts, config: InboundConfig, decision: Decision, bot_id: int) -> int:
    """The decision's team; for an attendant, one of theirs; else the Desk's Default team."""
    team_id = decision.team_id
    if team_id is None and decision.attendant_id is not None:
        team_id = facts.directive.attendant_team_id
    team_id = team_id or config.default_teams.get(bot_id)
    if team_id is None:  # A Desk without its Default team (made before the receiver existed).
        team_id = team_ensure_default(bot=Bot.objects.get(pk=bot_id)).pk
    return team_id
