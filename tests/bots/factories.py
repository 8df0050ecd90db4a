import factory
from django.contrib.auth import get_user_model

from bots.models import (
    Bot,
    BotMembership,
    Contact,
    ContactState,
    FlowBlock,
    Message,
    ProcessedEnvelope,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)


class BotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bot

    slug = factory.Sequence(lambda n: f"bot-{n}")
    name = factory.Sequence(lambda n: f"Bot {n}")
    kind = Bot.Kind.BOT
    whatsapp_number = factory.Sequence(lambda n: f"+55119{n:08d}")
    desk_enabled = True
    blip_flow_id = factory.Sequence(lambda n: f"flow-{n}")
    blip_api_key = "key-123"

    class Params:
        as_router = factory.Trait(kind=Bot.Kind.ROUTER, desk_enabled=False, blip_flow_id="")
        offline = factory.Trait(whatsapp_number="")
        no_desk = factory.Trait(desk_enabled=False)


class SubBotFactory(BotFactory):
    router = factory.SubFactory(BotFactory, as_router=True)
    whatsapp_number = ""
    service_name = factory.Sequence(lambda n: f"service{n}")
    uses_router_context = True


class FlowBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlowBlock

    bot = factory.SubFactory(BotFactory)
    block_id = factory.Sequence(lambda n: f"block-{n}")
    name = factory.Sequence(lambda n: f"Block {n}")

    class Params:
        human = factory.Trait(block_id=factory.Sequence(lambda n: f"desk:human-{n}"))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    bot = factory.SubFactory(BotFactory)
    phone = factory.Sequence(lambda n: f"+55119{n + 10000000:08d}")
    name = factory.Faker("name", locale="pt_BR")
    extras = factory.LazyFunction(dict)


class ContactStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactState

    contact = factory.SubFactory(ContactFactory)
    bot = factory.SelfAttribute("contact.bot")
    block = None


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    contact = factory.SubFactory(ContactFactory)
    bot = factory.SelfAttribute("contact.bot")
    direction = Message.Direction.INBOUND
    text = "Olá"
    status = Message.Status.RECEIVED

    class Params:
        outbound = factory.Trait(direction=Message.Direction.OUTBOUND, status=Message.Status.SENT)


class BotMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BotMembership

    user = factory.SubFactory(UserFactory, staff=True)
    bot = factory.SubFactory(BotFactory)
    role = BotMembership.Role.ADMIN


class ProcessedEnvelopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcessedEnvelope

    bot = factory.SubFactory(BotFactory)
    kind = ProcessedEnvelope.Kind.MESSAGE
    envelope_id = factory.Sequence(lambda n: f"env-{n}")
