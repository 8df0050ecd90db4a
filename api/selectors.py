"""Reads of the API, always within the key's bot and its sub-bots."""

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from api.models import ApiKey
from bots.models import Bot, FlowBlock
from campaigns import selectors as campaign_selectors
from campaigns.models import Campaign, MessageTemplate, Recipient
from desk.models import Attendant, Team


def key_bots(*, key: ApiKey) -> QuerySet[Bot]:
    """The key's bot and, for a router, its sub-bots."""
    return Bot.objects.filter(pk=key.bot_id) | Bot.objects.filter(router_id=key.bot_id)


def key_bot_ids(*, key: ApiKey) -> list[int]:
    return list(key_bots(key=key).values_list("id", flat=True))


def bots_list(*, key: ApiKey) -> QuerySet[Bot]:
    # The key's own bot first, then its sub-bots: the same order on every database.
    first = F("router_id").asc(nulls_first=True)
    return key_bots(key=key).select_related("router").order_by(first, "slug")


def templates_list(*, key: ApiKey, status: str = "") -> QuerySet[MessageTemplate]:
    qs = MessageTemplate.objects.filter(bot_id=key.bot_id).order_by("name", "language", "id")
    return qs.filter(status=status) if status else qs


def _in_bot(qs: QuerySet, *, key: ApiKey, bot_slug: str) -> QuerySet:
    qs = qs.filter(bot_id__in=key_bot_ids(key=key))
    return qs.filter(bot__slug=bot_slug) if bot_slug else qs


def teams_list(*, key: ApiKey, bot_slug: str = "") -> QuerySet[Team]:
    qs = Team.objects.select_related("bot")
    return _in_bot(qs, key=key, bot_slug=bot_slug).order_by("bot__slug", "name", "id")


def attendants_list(*, key: ApiKey, bot_slug: str = "", status: str = "") -> QuerySet[Attendant]:
    qs = Attendant.objects.select_related("bot").prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name"))
    )
    qs = _in_bot(qs, key=key, bot_slug=bot_slug).order_by("bot__slug", "email", "id")
    return qs.filter(status=status) if status else qs


def flow_blocks_list(*, key: ApiKey, bot_slug: str = "", kind: str = "") -> QuerySet[FlowBlock]:
    qs = _in_bot(FlowBlock.objects.select_related("bot"), key=key, bot_slug=bot_slug)
    qs = qs.order_by("bot__slug", "name", "id")
    return qs.filter(kind=kind) if kind else qs


def campaigns_list(*, key: ApiKey, status: str = "", kind: str = "") -> QuerySet[Campaign]:
    qs = Campaign.objects.filter(bot_id=key.bot_id).select_related(
        "template", "routing_bot", "flow_block", "team", "attendant"
    )
    qs = qs.order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs.filter(kind=kind) if kind else qs


def campaign_get(*, key: ApiKey, pk: int) -> Campaign:
    """The key's campaign ``pk``; 404 for a campaign of any other bot (nothing leaks)."""
    return get_object_or_404(campaigns_list(key=key), pk=pk)


def campaign_counts(*, campaign: Campaign) -> dict[str, int]:
    return campaign_selectors.campaign_counts(campaign=campaign)


def recipients_list(*, campaign: Campaign, status: str = "", phone: str = "") -> QuerySet:
    qs = campaign_selectors.campaign_recipients(campaign=campaign)
    if status:
        qs = qs.filter(status=status)
    return qs.filter(contact__phone=phone) if phone else qs


def recipient_statuses() -> list[str]:
    return list(Recipient.Status.values)
