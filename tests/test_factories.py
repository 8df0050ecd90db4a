"""Every model has a factory, and each factory builds a row that passes its model's validation."""

import pytest
from django.apps import apps

from tests.bots import factories as bf
from tests.campaigns import factories as cf
from tests.desk import factories as df

FACTORIES = [
    bf.UserFactory,
    bf.BotFactory,
    bf.SubBotFactory,
    bf.FlowBlockFactory,
    bf.ContactFactory,
    bf.ContactStateFactory,
    bf.MessageFactory,
    bf.BotMembershipFactory,
    bf.ProcessedEnvelopeFactory,
    df.TeamFactory,
    df.AttendantFactory,
    df.TeamMembershipFactory,
    df.AttendanceRuleFactory,
    df.RuleConditionFactory,
    df.ReplyDirectiveFactory,
    df.TicketSequenceFactory,
    df.TicketFactory,
    df.TicketMessageFactory,
    df.InboundRoutingFactory,
    df.OptOutSettingsFactory,
    df.DeskSettingsFactory,
    df.PauseReasonFactory,
    df.AttendantStatusChangeFactory,
    df.AttendantAbsenceFactory,
    df.ClosingTagFactory,
    df.TicketNoteFactory,
    df.QuickReplyFactory,
    cf.MessageTemplateFactory,
    cf.CampaignFactory,
    cf.RecipientFactory,
    cf.SchedulerHeartbeatFactory,
    cf.CampaignResultsFactory,
    cf.DeskSenderFactory,
    cf.DeskSendSettingsFactory,
    cf.DeskSendFactory,
]


def test_every_model_of_ours_has_a_factory():
    ours = {
        m for app in ("bots", "desk", "campaigns") for m in apps.get_app_config(app).get_models()
    }
    covered = {f._meta.model for f in FACTORIES}
    assert ours - covered == set()


@pytest.mark.django_db
@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_factory_builds_a_valid_row(factory):
    obj = factory()
    obj.full_clean()
