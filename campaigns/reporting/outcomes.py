"""What became of each send's reply routing, per recipient, from the Desk's own rows.

A send routed to the Desk leaves a directive (desk.ReplyDirective, ``source_id`` = the campaign);
the reply that used it opened a ticket pointing at it. So the outcome of a recipient is read from
its directive and that ticket; a send routed to a flow block leaves no directive, and its reply
went to the block.
"""

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Recipient
from desk.models import ReplyDirective, Ticket

RS = Recipient.Status
# desk.timers.ticket_hand_over: a directed ticket nobody took in time went to the team (R22).
FALLBACK_ROUTE = Ticket.RoutedBy.FALLBACK
SENT_STATUSES = (RS.SENT, RS.DELIVERED, RS.READ, RS.REPLIED)

TO_ATTENDANT = "attendant"
FELL_BACK = "fell_back"
TO_TEAM = "team"
TO_FLOW = "flow_block"
REPLIED_ELSEWHERE = "replied_elsewhere"
SUPERSEDED = "superseded"
EXPIRED = "expired"
WAITING = "waiting"
NO_REPLY = "no_reply"

OUTCOME_LABELS = {
    TO_ATTENDANT: _("Reply went to the named attendant"),
    FELL_BACK: _("Attendant did not take it in time: handed to the team (R22)"),
    TO_TEAM: _("Reply went to the Desk team"),
    TO_FLOW: _("Reply went to the flow block"),
    REPLIED_ELSEWHERE: _("Replied, but joined a ticket already open"),
    SUPERSEDED: _("Replaced by a later send before any reply"),
    EXPIRED: _("Directive expired unused (no reply in 24 h)"),
    WAITING: _("Still within the 24 h window, no reply yet"),
    NO_REPLY: _("No reply"),
}
# For the chart's axis, where the full sentences do not fit; the table beside it has them.
OUTCOME_SHORT_LABELS = {
    TO_ATTENDANT: _("Named attendant"),
    FELL_BACK: _("Fell back to the team"),
    TO_TEAM: _("Desk team"),
    TO_FLOW: _("Flow block"),
    REPLIED_ELSEWHERE: _("Ticket already open"),
    SUPERSEDED: _("Replaced"),
    EXPIRED: _("Expired unused"),
    WAITING: _("Window open"),
    NO_REPLY: _("No reply"),
}
DIRECTIVE_OUTCOMES = (
    TO_ATTENDANT,
    FELL_BACK,
    TO_TEAM,
    REPLIED_ELSEWHERE,
    SUPERSEDED,
    EXPIRED,
    WAITING,
)
FLOW_OUTCOMES = (TO_FLOW, NO_REPLY)


def outcomes_for(campaign: Campaign) -> tuple[str, ...]:
    """The outcomes a recipient of this campaign can have, in the order the report shows them."""
    if campaign.routing == Campaign.Routing.FLOW:
        return FLOW_OUTCOMES
    return DIRECTIVE_OUTCOMES


def campaign_directives(campaign: Campaign) -> QuerySet[ReplyDirective]:
    return ReplyDirective.objects.filter(source_id=campaign.pk, bot_id=campaign.routing_bot_id)


def campaign_tickets(campaign: Campaign) -> QuerySet[Ticket]:
    """Tickets opened by a reply that followed one of the campaign's directives."""
    return Ticket.objects.filter(
        directive__source_id=campaign.pk, directive__bot_id=campaign.routing_bot_id
    )


def with_outcome(qs: QuerySet[Recipient], campaign: Campaign, now=None) -> QuerySet[Recipient]:
    """Annotate ``outcome`` (a code above, or "" when nothing was sent) and ``ticket_id``.

    Flow routing needs no join. Desk routing joins the recipient's directive (one per
    campaign and contact) and looks its first ticket up on the ticket's directive index.
    """
    sent = Q(status__in=SENT_STATUSES)
    if campaign.routing == Campaign.Routing.FLOW:
        return qs.annotate(
            ticket_id=Value(None, output_field=BigIntegerField()),
            ticket_number=Value(None, output_field=BigIntegerField()),
            outcome=Case(
                When(status=RS.REPLIED, then=Value(TO_FLOW)),
                When(sent, then=Value(NO_REPLY)),
                default=Value(""),
                output_field=CharField(),
            ),
        )
    now = now or timezone.now()
    tickets = Ticket.objects.filter(directive_id=OuterRef("directive__id")).order_by("created_at")
    qs = qs.annotate(
        directive=FilteredRelation(
            "contact__directives",
            condition=Q(
                contact__directives__source_id=campaign.pk,
                contact__directives__bot_id=campaign.routing_bot_id,
            ),
        ),
        ticket_id=Subquery(tickets.values("id")[:1]),
        ticket_number=Subquery(tickets.values("sequence")[:1]),
    )
    return qs.annotate(
        outcome=Case(
            When(Exists(tickets.filter(routed_by=FALLBACK_ROUTE)), then=Value(FELL_BACK)),
            When(
                Exists(tickets.filter(requested_attendant__isnull=False)),
                then=Value(TO_ATTENDANT),
            ),
            When(ticket_id__isnull=False, then=Value(TO_TEAM)),
            When(status=RS.REPLIED, then=Value(REPLIED_ELSEWHERE)),
            When(directive__superseded=True, then=Value(SUPERSEDED)),
            When(directive__valid_until__lte=now, then=Value(EXPIRED)),
            When(directive__id__isnull=False, then=Value(WAITING)),
            When(sent, then=Value(NO_REPLY)),
            default=Value(""),
            output_field=CharField(),
        ),
        directive_until=F("directive__valid_until"),
    )
