"""Bots set up as the API's tests need them, and the requests that go with them."""

from dataclasses import dataclass

from bots.models import Bot, FlowBlock
from campaigns.models import MessageTemplate
from desk.models import Attendant, Team
from tests.api.factories import ApiKeyFactory
from tests.bots.factories import BotFactory, FlowBlockFactory, SubBotFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.desk.factories import AttendantFactory, TeamFactory


@dataclass
class Setup:
    bot: Bot  # the key's (top-level) bot
    target: Bot  # the (sub-)bot that takes replies
    key: object
    template: MessageTemplate
    human_block: FlowBlock
    block: FlowBlock
    team: Team
    attendant: Attendant

    def routing(self, kind: str = "attendant", **overrides) -> dict:
        base = {"type": kind}
        if self.target.pk != self.bot.pk:
            base["bot"] = self.target.slug
        if kind == "attendant":
            base |= {"flow_block": self.human_block.block_id, "attendant_email": "ana@example.com"}
        elif kind == "flow":
            base["flow_block"] = self.block.block_id
        else:
            base["team"] = self.team.name
        return {**base, **overrides}

    def message(self, **overrides) -> dict:
        base = {
            "phone": "(11) 97777-1234",
            "template": self.template.name,
            "parameters": {"body": ["Ana"]},
            "routing": self.routing(),
        }
        return {**base, **overrides}

    def bulk(self, rows: list[dict] | None = None, **overrides) -> dict:
        base = {
            "name": "Black Friday",
            "template": self.template.name,
            "parameters": {"body": ["nome"]},
            "routing": self.routing("team"),
            "rows": rows
            or [
                {"phone": "+5511977770001", "nome": "Ana"},
                {"phone": "(11) 97777-0002", "nome": "Bruno"},
            ],
        }
        return {**base, **overrides}


def setup(*, router: bool = False, **key_fields) -> Setup:
    """A WhatsApp bot (or a router with its sub-bot ``vendas``) ready for attendant routing."""
    if router:
        target = SubBotFactory(slug=f"vendas-{BotFactory._meta.next_sequence()}")
        bot = target.router
        bot.whatsapp_number = "+5511988887777"
        bot.save()
    else:
        bot = target = BotFactory()
    team = TeamFactory(bot=target, name="Vendas")
    attendant = AttendantFactory(bot=target, email="ana@example.com", teams=[team])
    return Setup(
        bot=bot,
        target=target,
        key=ApiKeyFactory(bot=bot, **key_fields),
        template=MessageTemplateFactory(bot=bot, name="oferta"),
        human_block=FlowBlockFactory(bot=target, human=True, name="Atendimento humano"),
        block=FlowBlockFactory(bot=target, name="Menu"),
        team=team,
        attendant=attendant,
    )
