"""Reads for the Active Messages pages and the wizard: querysets with what their pages show."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from bots.labels import label_of
from bots.models import Bot, Contact, FlowBlock
from bots.phones import phone_forms
from bots.url_keys import url_for_key
from campaigns.models import Campaign, CampaignResults, MessageTemplate, Recipient
from campaigns.reporting import rollup
from campaigns.sending.progress import status_counts
from campaigns.templatetags.report_tags import percent
from campaigns.templatetags.status_tags import short_datetime
from desk.absence import absences_on
from desk.models import Attendant, Team

RS = Recipient.Status
SENT_OR_LATER = [RS.SENT, RS.DELIVERED, RS.READ, RS.REPLIED]
DELIVERED_OR_LATER = [RS.DELIVERED, RS.READ, RS.REPLIED]
READ_OR_LATER = [RS.READ, RS.REPLIED]


# The names a campaign's reply routing shows (Campaign.routing_summary), read with the campaign.
ROUTING_NAMES = {
    "flow_block_name": Subquery(
        FlowBlock.objects.filter(pk=OuterRef("flow_block_id")).values("name")
    ),
    "team_name": Subquery(Team.objects.filter(pk=OuterRef("team_id")).values("name")),
}


def campaign_list(
    *,
    bot: Bot,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    created_by_id: int | None = None,
    search: str = "",
) -> QuerySet[Campaign]:
    """The bot's campaigns with their rolled-up results (campaigns/reporting/rollup.py).

    The dates filter on the moment the list shows: sent, else scheduled, else created, taken
    as days in the operator's time zone.

    Three joins, not six: PostgreSQL plans a join of seven tables in ~10 ms on the kept data
    (each order tried with each of the campaign's foreign-key indexes), for 0.4 ms of work. The
    flow block's and team's names come as two scalar subqueries (planned apart, a few rows
    each) and the creator from the list's filter (``list_rows``).
    """
    qs = (
        Campaign.objects.filter(bot=bot)
        .select_related("template", "routing_bot", "results")
        .annotate(**ROUTING_NAMES)
        .alias(moment=Coalesce("dispatched_at", "scheduled_at", "created_at"))
        .order_by("-created_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(moment__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(moment__lt=_day_start(date_to + dt.timedelta(days=1)))
    if created_by_id:
        qs = qs.filter(created_by_id=created_by_id)
    if search.strip():
        qs = qs.filter(name__icontains=search.strip())
    return qs


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_current_timezone())


def campaign_creators(*, bot: Bot) -> QuerySet:
    """The people who created campaigns of the bot, for the list's filter."""
    return (
        get_user_model()
        .objects.filter(pk__in=Campaign.objects.filter(bot=bot).values("created_by_id"))
        .order_by("username")
    )


def list_rows(campaigns, *, creators, overdue_before: dt.datetime) -> list[Campaign]:
    """A page of ``campaign_list`` ready to show, each row's words worked out here rather than
    by some forty template lookups, two ``{% url %}`` and a date filter per row (~0.3 ms a row):
    its links, its creator (from the filter's list of them, read already: no join of the users;
    one who appeared since loads as usual), its reply routing in one line from the names read
    with it, when it went or goes out, whether it is overdue, and its reply rate."""
    by_pk = {user.pk: user for user in creators}
    detail_url, report_url = url_for_key("campaigns:detail"), url_for_key("campaigns:report")
    rows = list(campaigns)
    for campaign in rows:
        if campaign.created_by_id in by_pk:
            campaign.created_by = by_pk[campaign.created_by_id]
        creator = campaign.created_by
        campaign.creator_name = (
            (creator.get_full_name() or creator.get_username()) if creator is not None else None
        )
        campaign.detail_url = detail_url(campaign.pk)
        campaign.kind_label = label_of(Campaign.Kind, campaign.kind)
        campaign.routing_text = campaign.routing_summary(
            block_name=campaign.flow_block_name, team_name=campaign.team_name
        )
        campaign.is_overdue = (
            campaign.status == Campaign.Status.SCHEDULED and campaign.scheduled_at < overdue_before
        )
        when = campaign.dispatched_at or campaign.scheduled_at
        campaign.when_text = short_datetime(when) if when else "—"
        results = getattr(campaign, "results", None)  # None: never rolled up
        campaign.row_results = results
        if results is not None and results.sent:
            campaign.rate_text, campaign.report_url = (
                percent(results.reply_rate),
                report_url(campaign.pk),
            )
        else:
            campaign.rate_text = campaign.report_url = ""
    return rows


@dataclass
class Tally:
    """A campaign's recipients counted once for a page: per status, the funnel's cumulative
    counts, the failure groups (None: not read yet) and, when they come from the roll-up,
    when it ran."""

    by_status: dict[str, int]
    counts: dict[str, int]
    failures: list[dict] | None = None
    as_of: dt.datetime | None = None

    @property
    def total(self) -> int:
        return self.counts["total"]


def campaign_tally(*, campaign: Campaign) -> Tally:
    """Counted on the spot, unless the campaign is too large to count on every page view and
    no longer sending: then its rolled-up results (at most a minute old while replies arrive).
    A sending campaign is always counted, its progress bar moves."""
    if (
        campaign.status != Campaign.Status.SENDING
        and campaign.audience_size > rollup.inline_max()
        and (results := CampaignResults.objects.filter(campaign=campaign).first()) is not None
    ):
        by_status = rollup.status_counts_of(results)
        failures = [
            {"code": f["code"], "reason": f["reason"], "count": f["count"]}
            for f in (results.figures or {}).get("failures", [])
        ]
        return Tally(by_status, funnel_of(by_status), failures[:20], results.refreshed_at)
    by_status = status_counts(campaign=campaign)
    return Tally(by_status, funnel_of(by_status))


def funnel_of(by_status: dict[str, int]) -> dict[str, int]:
    """Pending / sent / delivered / read / replied / failed, each counting later statuses too."""
    n = by_status.get
    return {
        "total": sum(by_status.values()),
        "pending": n(RS.PENDING, 0) + n(RS.SENDING, 0),
        "sent": sum(n(s, 0) for s in SENT_OR_LATER),
        "delivered": sum(n(s, 0) for s in DELIVERED_OR_LATER),
        "read": sum(n(s, 0) for s in READ_OR_LATER),
        "replied": n(RS.REPLIED, 0),
        "failed": n(RS.FAILED, 0),
    }


def campaign_counts(*, campaign: Campaign) -> dict[str, int]:
    """Pending / sent / delivered / read / replied / failed, each counting later statuses too."""
    return Recipient.objects.filter(campaign=campaign).aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(status__in=[RS.PENDING, RS.SENDING])),
        sent=Count("id", filter=Q(status__in=SENT_OR_LATER)),
        delivered=Count("id", filter=Q(status__in=DELIVERED_OR_LATER)),
        read=Count("id", filter=Q(status__in=READ_OR_LATER)),
        replied=Count("id", filter=Q(status=RS.REPLIED)),
        failed=Count("id", filter=Q(status=RS.FAILED)),
    )


def campaign_recipients(*, campaign: Campaign) -> QuerySet[Recipient]:
    return Recipient.objects.filter(campaign=campaign).select_related("contact").order_by("id")


def approved_templates(*, bot: Bot) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(bot=bot, status=MessageTemplate.Status.APPROVED).order_by(
        "name", "language"
    )


def is_opted_out(*, bot: Bot, phone: str) -> bool:
    """R20, whichever form of a Brazilian mobile the contact is stored under (R18)."""
    return Contact.objects.filter(
        bot=bot.top_level, phone__in=phone_forms(phone), opted_out=True
    ).exists()


def opted_out_phones(*, bot: Bot) -> set[str]:
    """Every phone, in every form (R18), of the bot's contacts who opted out (R20)."""
    phones = Contact.objects.filter(bot=bot.top_level, opted_out=True).values_list(
        "phone", flat=True
    )
    return {form for phone in phones for form in phone_forms(phone)}


@dataclass
class RoutingOptions:
    """Everything step 3 offers, for every (sub-)bot at once: the page filters it in JS."""

    bots: list[Bot]
    blocks: list[FlowBlock]
    teams: list[Team]
    attendants: list[Attendant]


def routing_targets(*, bot: Bot) -> QuerySet[Bot]:
    """The bots a reply can go to: the sub-bots of a router, else the bot itself."""
    if bot.is_router:
        return (
            Bot.objects.filter(router=bot)
            .select_related("router")
            .order_by("-is_main_service", "service_name")
        )
    return Bot.objects.filter(pk=bot.pk)


def routing_options(*, bot: Bot) -> RoutingOptions:
    targets = list(routing_targets(bot=bot))
    ids = [t.pk for t in targets]
    attendants = list(
        Attendant.objects.filter(bot_id__in=ids, teams__isnull=False)
        .distinct()
        .order_by("bot_id", "email")
    )
    # R14 shows each status; R23 who is away today and who stands in for them.
    away = absences_on(attendants=attendants, day=timezone.localdate())
    for attendant in attendants:
        attendant.absence_today = away.get(attendant.pk)
    return RoutingOptions(
        bots=targets,
        blocks=list(FlowBlock.objects.filter(bot_id__in=ids).order_by("bot_id", "name")),
        teams=list(Team.objects.filter(bot_id__in=ids).order_by("bot_id", "name")),
        attendants=attendants,
    )
