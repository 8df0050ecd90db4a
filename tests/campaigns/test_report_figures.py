"""Every figure of the report on campaigns whose outcomes are known one by one."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignResults
from campaigns.reporting import outcomes as oc
from campaigns.reporting.figures import campaign_figures, percentiles
from campaigns.reporting.rollup import (
    campaign_results_current,
    campaign_results_refresh,
    campaign_results_refresh_live,
)
from desk.models import Ticket
from tests.bots.factories import BotFactory, ContactFactory, MessageFactory
from tests.campaigns.factories import CampaignFactory, RecipientFactory
from tests.desk.factories import (
    AttendantFactory,
    ReplyDirectiveFactory,
    TeamFactory,
    TicketFactory,
    TicketMessageFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
SENT_AT = NOW - dt.timedelta(hours=30)  # the directives of these sends have expired


def at(**delta) -> dt.datetime:
    return SENT_AT + dt.timedelta(**delta)


def set_times(obj, **fields) -> None:
    type(obj).objects.filter(pk=obj.pk).update(**fields)


class TeamStory:
    """A bulk campaign routed to a Desk team, one recipient per outcome."""

    def __init__(self):
        self.bot = BotFactory()
        self.team = TeamFactory(bot=self.bot, name="Vendas")
        self.ana = AttendantFactory(bot=self.bot, teams=[self.team])
        self.campaign = CampaignFactory(
            bot=self.bot,
            bulk=True,
            routing=Campaign.Routing.TEAM,
            team=self.team,
            flow_block=None,
            status=Campaign.Status.SENT,
            dispatched_at=SENT_AT,
            audience_size=9,
        )
        c = self.campaign
        # Replied 30 min after the send; a ticket through the directive; Ana answered in 10 min.
        self.answered = self._sent(replied=True, replied_at=at(minutes=30))
        ticket = self._ticket(self.answered, created=at(minutes=30))
        message = TicketMessageFactory(
            ticket=ticket, attendant=self.ana, message__outbound=True
        ).message
        set_times(message, created_at=at(minutes=40))
        self.answered_ticket = ticket
        # Replied 2 h after; a ticket, nobody answered yet.
        self.unanswered = self._sent(replied=True, replied_at=at(hours=2))
        self._ticket(self.unanswered, created=at(hours=2))
        # Replied 3 h after, but joined a ticket that was already open: the directive went unused.
        self.elsewhere = self._sent(replied=True, replied_at=at(hours=3))
        # Read, never replied: the directive expired unused.
        self.expired = self._sent(read=True)
        # Delivered, then a later campaign replaced the directive.
        self.superseded = self._sent(delivered=True, superseded=True)
        # Sent an hour ago: still within its window.
        self.waiting = self._sent(sent=True, sent_at=NOW - dt.timedelta(hours=1))
        self.opted_out = RecipientFactory(
            campaign=c, failed=True, failure_code="opted_out", failure_reason="opted out"
        )
        self.refused = RecipientFactory(campaign=c, failed=True)
        self.refused_too = RecipientFactory(campaign=c, failed=True)
        self.pending = RecipientFactory(campaign=c)

    def _sent(self, superseded=False, sent_at=SENT_AT, **state):
        recipient = RecipientFactory(campaign=self.campaign, **state)
        set_times(recipient, sent_at=sent_at)
        recipient.refresh_from_db()
        recipient.directive = ReplyDirectiveFactory(
            contact=recipient.contact,
            bot=self.bot,
            attendant=None,
            team=self.team,
            source_id=self.campaign.pk,
            source_label=self.campaign.name,
            sent_at=sent_at,
            valid_until=sent_at + dt.timedelta(hours=24),
            superseded=superseded,
        )
        return recipient

    def _ticket(self, recipient, created):
        ticket = TicketFactory(
            bot=self.bot,
            contact=recipient.contact,
            team=self.team,
            directive=recipient.directive,
            routed_by=Ticket.RoutedBy.DIRECTIVE,
        )
        set_times(ticket, created_at=created)
        return ticket


@pytest.fixture
def story() -> TeamStory:
    return TeamStory()


def test_funnel_counts_each_step_and_the_later_ones(story):
    counts = campaign_figures(campaign=story.campaign, now=NOW)["counts"]
    assert counts == {
        "total": 10,
        "pending": 1,
        "sent": 6,
        "delivered": 5,
        "read": 4,
        "replied": 3,
        "failed": 3,
        "tickets_opened": 2,
        "human_answered": 1,
    }


def test_failures_are_grouped_by_code_largest_first(story):
    failures = campaign_figures(campaign=story.campaign, now=NOW)["failures"]
    assert [(f["code"], f["count"]) for f in failures] == [
        ("gateway_permanent", 2),
        ("opted_out", 1),
    ]


def test_routing_outcomes_include_expired_and_replaced_directives(story):
    found = campaign_figures(campaign=story.campaign, now=NOW)["outcomes"]
    assert found == {
        oc.TO_ATTENDANT: 0,
        oc.FELL_BACK: 0,
        oc.TO_TEAM: 2,
        oc.REPLIED_ELSEWHERE: 1,
        oc.SUPERSEDED: 1,
        oc.EXPIRED: 1,
        oc.WAITING: 1,
    }


def test_each_recipient_gets_the_outcome_the_figure_counts(story):
    rows = dict(
        oc.with_outcome(story.campaign.recipients.all(), story.campaign, NOW).values_list(
            "pk", "outcome"
        )
    )
    assert rows[story.answered.pk] == oc.TO_TEAM
    assert rows[story.elsewhere.pk] == oc.REPLIED_ELSEWHERE
    assert rows[story.expired.pk] == oc.EXPIRED
    assert rows[story.superseded.pk] == oc.SUPERSEDED
    assert rows[story.waiting.pk] == oc.WAITING
    assert rows[story.refused.pk] == rows[story.pending.pk] == ""


def test_directive_expires_exactly_at_valid_until_R11(story):
    later = SENT_AT + dt.timedelta(hours=24)
    earlier = later - dt.timedelta(seconds=1)
    assert campaign_figures(campaign=story.campaign, now=earlier)["outcomes"][oc.EXPIRED] == 0
    assert campaign_figures(campaign=story.campaign, now=later)["outcomes"][oc.EXPIRED] == 1


def test_reply_and_human_answer_times_median_and_p90(story):
    timing = campaign_figures(campaign=story.campaign, now=NOW)["timing"]
    # Replies after 30 min, 2 h and 3 h.
    assert timing["reply"]["n"] == 3
    assert timing["reply"]["median"] == 2 * 3600
    assert timing["reply"]["p90"] == pytest.approx(2 * 3600 + 0.8 * 3600)
    assert timing["human"] == {"n": 1, "median": 600.0, "p90": 600.0}


def test_replies_per_hour_from_the_send(story):
    hourly = campaign_figures(campaign=story.campaign, now=NOW)["replies_per_hour"]
    start = SENT_AT.replace(minute=0, second=0)
    assert dt.datetime.fromisoformat(hourly["start"]) == start
    expected = [0] * 4
    for reply in (at(minutes=30), at(hours=2), at(hours=3)):
        expected[int((reply - start).total_seconds() // 3600)] += 1
    assert hourly["counts"] == expected and hourly["later"] == 0


def test_attendant_campaign_counts_the_reply_that_went_to_the_named_attendant():
    bot, team, ana, campaign, recipient, directive = _replied_to_ana()
    TicketFactory(
        bot=bot,
        contact=recipient.contact,
        team=team,
        directive=directive,
        requested_attendant=ana,
        routed_by=Ticket.RoutedBy.DIRECTIVE,
    )
    found = campaign_figures(campaign=campaign)["outcomes"]
    assert found[oc.TO_ATTENDANT] == 1 and found[oc.TO_TEAM] == 0


def test_flow_campaign_outcomes_are_the_block_or_no_reply():
    campaign = CampaignFactory(bulk=True)
    RecipientFactory(campaign=campaign, replied=True)
    RecipientFactory(campaign=campaign, delivered=True)
    RecipientFactory(campaign=campaign, failed=True)
    assert campaign_figures(campaign=campaign)["outcomes"] == {oc.TO_FLOW: 1, oc.NO_REPLY: 1}


def test_directives_of_another_campaign_or_bot_do_not_count(story):
    other = CampaignFactory(bot=story.bot, bulk=True)
    contact = ContactFactory(bot=story.bot)
    ReplyDirectiveFactory(
        contact=contact, bot=story.bot, attendant=None, team=story.team, source_id=other.pk
    )
    MessageFactory(contact=contact)
    found = campaign_figures(campaign=story.campaign, now=NOW)["outcomes"]
    assert sum(found.values()) == 6


def test_percentiles_interpolate_like_percentile_cont():
    assert percentiles([]) == {"n": 0, "median": None, "p90": None}
    assert percentiles([10.0]) == {"n": 1, "median": 10.0, "p90": 10.0}
    assert percentiles([4.0, 1.0, 3.0, 2.0]) == {"n": 4, "median": 2.5, "p90": pytest.approx(3.7)}


def test_refresh_stores_the_counters_and_figures(story):
    results = campaign_results_refresh(campaign=story.campaign, now=NOW)
    stored = CampaignResults.objects.get(campaign=story.campaign)
    assert (stored.sent, stored.replied, stored.failed) == (6, 3, 3)
    assert stored.reply_rate == 0.5
    assert stored.figures == results.figures
    assert stored.refreshed_at == NOW


def test_periodic_rollup_refreshes_only_campaigns_whose_figures_can_move(story):
    old = CampaignFactory(
        status=Campaign.Status.SENT,
        dispatched_at=NOW - dt.timedelta(days=10),
        finished_at=NOW - dt.timedelta(days=10),
    )
    campaign_results_refresh(campaign=old, now=NOW - dt.timedelta(days=9))
    sending = CampaignFactory(status=Campaign.Status.SENDING, dispatched_at=NOW)
    draft = CampaignFactory()
    assert campaign_results_refresh_live(now=NOW) == 2  # the story (dispatched 30 h ago), sending
    refreshed = set(CampaignResults.objects.filter(refreshed_at=NOW).values_list("pk", flat=True))
    assert refreshed == {story.campaign.pk, sending.pk}
    assert not CampaignResults.objects.filter(campaign=draft).exists()


def test_a_campaign_that_finished_since_its_rollup_is_refreshed_once_more():
    campaign = CampaignFactory(
        status=Campaign.Status.SENT,
        dispatched_at=NOW - dt.timedelta(days=5),
        finished_at=NOW - dt.timedelta(days=4),
    )
    campaign_results_refresh(campaign=campaign, now=NOW - dt.timedelta(days=4, hours=1))
    assert campaign_results_refresh_live(now=NOW) == 1
    assert campaign_results_refresh_live(now=NOW + dt.timedelta(minutes=1)) == 0


def test_small_campaign_report_is_recomputed_on_open_large_one_reads_the_rollup(story, settings):
    stale = campaign_results_refresh(campaign=story.campaign, now=NOW - dt.timedelta(hours=1))
    RecipientFactory(campaign=story.campaign, replied=True)
    assert campaign_results_current(campaign=story.campaign).replied == 4
    settings.CAMPAIGN_RESULTS_INLINE_MAX = 5
    RecipientFactory(campaign=story.campaign, replied=True)
    assert campaign_results_current(campaign=story.campaign).replied == 4
    assert stale.pk == story.campaign.pk


@pytest.mark.parametrize("hours_later", [0, 1, 30])
def test_outcome_figure_agrees_with_each_recipients_outcome(story, hours_later):
    """The figure is counted from the directives' side (cheap at a million recipients); the
    table's filter decides per recipient. Both must tell the same story."""
    from collections import Counter

    now = SENT_AT + dt.timedelta(hours=hours_later)
    # Another reply that joined an open ticket, this time with its directive replaced.
    extra = story._sent(replied=True, replied_at=at(minutes=5), superseded=True)
    figure = campaign_figures(campaign=story.campaign, now=now)["outcomes"]
    each = Counter(
        oc.with_outcome(story.campaign.recipients.all(), story.campaign, now).values_list(
            "outcome", flat=True
        )
    )
    assert figure == {code: each.get(code, 0) for code in figure}
    assert sum(figure.values()) == 7 and extra.pk


def test_R22_a_reply_handed_over_to_the_team_counts_as_fallen_back():
    bot, team, ana, campaign, recipient, directive = _replied_to_ana()
    # What desk.timers.ticket_hand_over leaves: no longer directed, routed by the fallback.
    TicketFactory(
        bot=bot,
        contact=recipient.contact,
        team=team,
        directive=directive,
        requested_attendant=None,
        meant_for=ana,
        routed_by=Ticket.RoutedBy.FALLBACK,
        routing_code="R22_fallback",
    )
    found = campaign_figures(campaign=campaign)["outcomes"]
    assert (found[oc.FELL_BACK], found[oc.TO_ATTENDANT], found[oc.TO_TEAM]) == (1, 0, 0)
    each = oc.with_outcome(campaign.recipients.all(), campaign).values_list("outcome", flat=True)
    assert list(each) == [oc.FELL_BACK]


def _replied_to_ana():
    """A campaign to attendant Ana (team Vendas) whose one recipient replied under its directive."""
    bot = BotFactory()
    team = TeamFactory(bot=bot, name="Vendas")
    ana = AttendantFactory(bot=bot, teams=[team])
    campaign = CampaignFactory(
        bot=bot, routing=Campaign.Routing.ATTENDANT, attendant=ana, attendant_email=ana.email
    )
    recipient = RecipientFactory(campaign=campaign, replied=True)
    directive = ReplyDirectiveFactory(
        contact=recipient.contact, bot=bot, attendant=ana, source_id=campaign.pk
    )
    return bot, team, ana, campaign, recipient, directive
