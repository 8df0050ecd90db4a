import datetime as dt

import factory
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignResults,
    DeskSend,
    DeskSender,
    DeskSendSettings,
    MessageTemplate,
    Recipient,
    SchedulerHeartbeat,
)
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"template_{n}")
    language = "pt_BR"
    category = MessageTemplate.Category.MARKETING
    status = MessageTemplate.Status.APPROVED
    body = "Olá, {{1}}! Sua oferta chegou."

    class Params:
        no_variables = factory.Trait(body="Olá! Temos novidades.")
        pending = factory.Trait(status=MessageTemplate.Status.PENDING)


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign routed to a flow block of its bot; traits switch the routing."""

    class Meta:
        model = Campaign

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"Campanha {n}")
    kind = Campaign.Kind.INDIVIDUAL
    template = factory.SubFactory(MessageTemplateFactory, bot=factory.SelfAttribute("..bot"))
    parameters = factory.LazyFunction(lambda: {"body": ["Ana"]})
    routing = Campaign.Routing.FLOW
    routing_bot = factory.SelfAttribute("bot")
    flow_block = factory.SubFactory(FlowBlockFactory, bot=factory.SelfAttribute("..routing_bot"))

    class Params:
        bulk = factory.Trait(kind=Campaign.Kind.BULK, parameters={"body": ["nome"]})
        scheduled = factory.Trait(
            status=Campaign.Status.SCHEDULED,
            scheduled_at=factory.Faker("future_datetime", tzinfo=dt.UTC),
        )


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    campaign = factory.SubFactory(CampaignFactory)
    contact = factory.SubFactory(ContactFactory, bot=factory.SelfAttribute("..campaign.bot"))
    parameters = factory.LazyFunction(lambda: {"body": ["Ana"]})

    class Params:
        # Each state carries the timestamps a real send leaves (sent_at: a minute ago).
        sent = factory.Trait(
            status=Recipient.Status.SENT,
            sent_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)),
        )
        delivered = factory.Trait(
            sent=True,
            status=Recipient.Status.DELIVERED,
            delivered_at=factory.LazyAttribute(lambda r: r.sent_at),
        )
        read = factory.Trait(
            delivered=True,
            status=Recipient.Status.READ,
            read_at=factory.LazyAttribute(lambda r: r.sent_at),
        )
        replied = factory.Trait(
            read=True,
            status=Recipient.Status.REPLIED,
            replied_at=factory.LazyFunction(timezone.now),
        )
        failed = factory.Trait(
            status=Recipient.Status.FAILED,
            failure_code="gateway_permanent",
            failure_reason="Number without WhatsApp",
        )


def bulk_campaign_with_recipients(n: int, **fields) -> Campaign:
    """A Draft bulk campaign with ``n`` Pending recipients, as the wizard leaves it."""
    campaign = CampaignFactory(bulk=True, **fields)
    for i in range(n):
        RecipientFactory(campaign=campaign, parameters={"body": [f"Pessoa {i}"]})
    return campaign


class SchedulerHeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchedulerHeartbeat
        django_get_or_create = ["source"]

    source = SchedulerHeartbeat.Source.BEAT
    beat_at = factory.LazyFunction(timezone.now)
    host = "worker-1:4242"


class CampaignResultsFactory(factory.django.DjangoModelFactory):
    """Rolled-up results as the roll-up writes them (campaigns/reporting/rollup.py)."""

    class Meta:
        model = CampaignResults

    campaign = factory.SubFactory(CampaignFactory, status=Campaign.Status.SENT)
    total = 10
    sent = 8
    delivered = 7
    read = 5
    replied = 2
    failed = 2
    refreshed_at = factory.LazyFunction(timezone.now)


class DeskSenderFactory(factory.django.DjangoModelFactory):
    """An attendant allowed to send from the Desk, in a Desk ready for attendant routing."""

    class Meta:
        model = DeskSender

    attendant = factory.SubFactory(
        "tests.desk.factories.AttendantFactory",
        bot=factory.SubFactory(BotFactory),
        user=factory.SubFactory("tests.bots.factories.UserFactory"),
    )


class DeskSendSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeskSendSettings
        django_get_or_create = ["bot"]

    bot = factory.SubFactory(BotFactory)
    contact_cap = 1
    cap_window_hours = 24


class DeskSendFactory(factory.django.DjangoModelFactory):
    """A message sent from the Desk, as the service records it (its campaign, its contact)."""

    class Meta:
        model = DeskSend

    campaign = factory.SubFactory(CampaignFactory)
    contact = factory.SubFactory(ContactFactory, bot=factory.SelfAttribute("..campaign.bot"))
    attendant = factory.SubFactory(
        "tests.desk.factories.AttendantFactory", bot=factory.SelfAttribute("..campaign.bot")
    )
