import datetime as dt

import factory
from django.utils import timezone

from desk.models import (
    AttendanceRule,
    Attendant,
    AttendantAbsence,
    AttendantStatusChange,
    ClosingTag,
    DeskSettings,
    InboundRouting,
    OptOutSettings,
    PauseReason,
    QuickReply,
    ReplyDirective,
    RuleCondition,
    Team,
    TeamMembership,
    Ticket,
    TicketMessage,
    TicketNote,
    TicketSequence,
)
from tests.bots.factories import BotFactory, ContactFactory, MessageFactory


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["bot", "name"]

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class AttendantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendant
        skip_postgeneration_save = True

    bot = factory.SubFactory(BotFactory)
    email = factory.Sequence(lambda n: f"attendant{n}@example.com")
    name = factory.Faker("name", locale="pt_BR")
    status = Attendant.Status.ONLINE
    slots = 3

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        """Pass teams=[...]; by default the attendant joins its bot's Default team."""
        if not create:
            return
        teams = extracted if extracted is not None else [TeamFactory(bot=obj.bot, name="Default")]
        for team in teams:
            TeamMembership.objects.get_or_create(attendant=obj, team=team)

    class Params:
        offline = factory.Trait(status=Attendant.Status.OFFLINE)
        paused = factory.Trait(status=Attendant.Status.PAUSE)
        invisible = factory.Trait(status=Attendant.Status.INVISIBLE)


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    attendant = factory.SubFactory(AttendantFactory, teams=[])
    team = factory.SubFactory(TeamFactory, bot=factory.SelfAttribute("..attendant.bot"))


class AttendanceRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceRule

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    priority = factory.Sequence(lambda n: n + 1)
    team = factory.SubFactory(TeamFactory, bot=factory.SelfAttribute("..bot"))


class RuleConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleCondition

    rule = factory.SubFactory(AttendanceRuleFactory)
    source = RuleCondition.Source.LAST_MESSAGE
    relation = RuleCondition.Relation.CONTAINS
    values = factory.LazyFunction(lambda: ["comprar"])


class ReplyDirectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReplyDirective

    attendant = factory.SubFactory(AttendantFactory)
    bot = factory.SelfAttribute("attendant.bot")
    contact = factory.SubFactory(ContactFactory, bot=factory.SelfAttribute("..bot.top_level"))
    team = None
    source_label = "Campanha"
    sent_at = factory.LazyFunction(timezone.now)
    valid_until = factory.LazyAttribute(lambda d: d.sent_at + dt.timedelta(hours=24))


class TicketSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketSequence
        django_get_or_create = ["bot"]

    bot = factory.SubFactory(BotFactory)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    bot = factory.SubFactory(BotFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    contact = factory.SubFactory(ContactFactory, bot=factory.SelfAttribute("..bot.top_level"))
    team = factory.SubFactory(TeamFactory, bot=factory.SelfAttribute("..bot"), name="Default")
    routed_by = Ticket.RoutedBy.DEFAULT
    routing_reason = "no rule matched → Default"

    class Params:
        open = factory.Trait(
            status=Ticket.Status.OPEN,
            attendant=factory.SubFactory(AttendantFactory, bot=factory.SelfAttribute("..bot")),
            opened_at=factory.LazyFunction(timezone.now),
        )
        # The attendant wrote last and the customer has been silent since (R24).
        customer_silent = factory.Trait(
            open=True, customer_silent_since=factory.LazyFunction(timezone.now)
        )
        # The customer wrote last and waits for the attendant's answer.
        awaiting_reply = factory.Trait(
            open=True, awaiting_reply_since=factory.LazyFunction(timezone.now)
        )


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    message = factory.SubFactory(
        MessageFactory,
        contact=factory.SelfAttribute("..ticket.contact"),
    )


class InboundRoutingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundRouting

    message = factory.SubFactory(MessageFactory)
    target = "team"
    reason_code = "default_team"
    reason = "no rule matched → Default"


class OptOutSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptOutSettings
        django_get_or_create = ["bot"]

    bot = factory.SubFactory(BotFactory)
    keywords = factory.LazyFunction(lambda: ["SAIR", "CHEGA"])
    confirmation = "Tudo certo."


class DeskSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeskSettings
        django_get_or_create = ["bot"]

    bot = factory.SubFactory(BotFactory, desk_enabled=True)

    class Params:
        manual = factory.Trait(distribution=DeskSettings.Distribution.MANUAL)
        inactivity = factory.Trait(inactivity_warning_minutes=10, inactivity_close_minutes=5)


class PauseReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PauseReason

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"Pausa {n}")


class AttendantStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendantStatusChange

    attendant = factory.SubFactory(AttendantFactory)
    old_status = Attendant.Status.OFFLINE
    status = Attendant.Status.ONLINE
    source = AttendantStatusChange.Source.DESK
    changed_at = factory.LazyFunction(timezone.now)


class AttendantAbsenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendantAbsence

    attendant = factory.SubFactory(AttendantFactory)
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda a: a.starts_on + dt.timedelta(days=6))

    class Params:
        with_substitute = factory.Trait(
            substitute=factory.SubFactory(
                AttendantFactory, bot=factory.SelfAttribute("..attendant.bot")
            )
        )


class ClosingTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosingTag

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"Etiqueta {n}")


class TicketNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketNote

    ticket = factory.SubFactory(TicketFactory)
    text = "Cliente pediu retorno amanhã."


class QuickReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuickReply

    bot = factory.SubFactory(BotFactory)
    title = factory.Sequence(lambda n: f"Resposta {n}")
    text = "Olá, {first_name}! Como posso ajudar?"
