"""Demo data for `make run`: safe to run any number of times (every write is keyed)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from bots.models import Bot, BotMembership, Contact, FlowBlock
from campaigns.models import DeskSender, MessageTemplate
from desk.models import (
    AttendanceRule,
    Attendant,
    ClosingTag,
    PauseReason,
    QuickReply,
    RuleCondition,
    Team,
)
from desk.services import attendant_set_teams, team_ensure_default

TEMPLATES = [
    {
        "name": "boas_vindas",
        "category": "marketing",
        "body": "Olá! Temos novidades para você. Responda esta mensagem para falar com a gente.",
        "buttons": [{"type": "quick_reply", "text": "Quero saber mais"}],
    },
    {
        "name": "retomada_pedido",
        "category": "utility",
        "header_type": "text",
        "header_text": "Seu pedido",
        "body": "Olá, {{1}}! Seu pedido {{2}} está esperando por você. Podemos ajudar?",
        "buttons": [
            {"type": "quick_reply", "text": "Sim, por favor"},
            {"type": "quick_reply", "text": "Agora não"},
            {"type": "url", "text": "Ver pedido", "url": "https://loja.example.com/pedidos/{{1}}"},
        ],
    },
    {
        "name": "oferta_cidade",
        "category": "marketing",
        "header_type": "image",
        "body": "{{1}}, a oferta de hoje em {{2}} acaba à meia-noite.",
        "buttons": [],
    },
    {
        "name": "promocao_pendente",
        "category": "marketing",
        "status": "pending",
        "body": "Esta mensagem ainda aguarda aprovação do WhatsApp.",
        "buttons": [],
    },
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo bots, Desk, templates and users. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        admin = self._user("admin", "admin", superuser=True)
        router = self._bot(
            "demo-router",
            "Demo Router",
            kind="router",
            whatsapp_number="+5511999990000",
            blip_address="demorouter@msging.net",
            messaging_tier="10000",
            quality_rating="green",
        )
        vendas = self._bot(
            "vendas",
            "Vendas",
            router=router,
            service_name="vendas",
            is_main_service=True,
            uses_router_context=True,
            desk_enabled=True,
            blip_flow_id="flow-vendas",
            blip_address="vendas@msging.net",
        )
        suporte = self._bot(
            "suporte",
            "Suporte",
            router=router,
            service_name="suporte",
            blip_flow_id="flow-suporte",
            blip_address="suporte@msging.net",
        )
        loja = self._bot(
            "loja",
            "Loja",
            whatsapp_number="+5511988880000",
            desk_enabled=True,
            blip_flow_id="flow-loja",
            blip_address="loja@msging.net",
            messaging_tier="250",  # a new number: step 4 shows how far the budget goes
            quality_rating="unknown",
        )
        sem = self._bot("sem-whatsapp", "Sem WhatsApp", desk_enabled=True, blip_flow_id="flow-sem")
        self._blocks(
            vendas,
            [
                ("inicio", "Início"),
                ("ofertas", "Ofertas"),
                ("desk:atendimento-vendas", "Atendimento humano"),
            ],
        )
        self._blocks(suporte, [("inicio", "Início"), ("faq", "Perguntas frequentes")])
        self._blocks(
            loja,
            [
                ("inicio", "Início"),
                ("catalogo", "Catálogo"),
                ("desk:atendimento", "Atendimento humano"),
            ],
        )
        self._blocks(sem, [("inicio", "Início")])

        vendas_team, _ = Team.objects.get_or_create(bot=vendas, name="Vendas")
        default_vendas = team_ensure_default(bot=vendas)
        loja_default = team_ensure_default(bot=loja)
        ana_user = self._user("ana@example.com", "demo", first_name="Ana")
        bruno_user = self._user("bruno@example.com", "demo", first_name="Bruno")
        self._attendant(vendas, "ana@example.com", "Ana Souza", "online", ana_user, [vendas_team])
        self._attendant(
            vendas, "bruno@example.com", "Bruno Lima", "offline", bruno_user, [default_vendas]
        )
        self._attendant(loja, "ana@example.com", "Ana Souza", "online", ana_user, [loja_default])
        # Ana may send active messages from the Desk (R27) on both of her Desks; Bruno may not.
        for ana in Attendant.objects.filter(email="ana@example.com", bot__in=[vendas, loja]):
            DeskSender.objects.get_or_create(attendant=ana, defaults={"granted_by": admin})
        self._rule(vendas, vendas_team)
        self._desk_tools(vendas, vendas_team)

        operator = self._user("operador", "demo", first_name="Olga", staff=True)
        for bot in (router, loja, sem):
            self._member(admin, bot, "admin")
            self._member(operator, bot, "operator")
        self._member(ana_user, router, "attendant")
        self._member(ana_user, loja, "attendant")
        self._member(bruno_user, router, "attendant")
        for bot in (router, loja, sem):
            for spec in TEMPLATES:
                self._template(bot, spec)
        for phone, name, extras in [
            ("+5511987654321", "Carla Dias", {"cidade": "BH"}),
            ("+5521998877665", "Diego Rocha", {"cidade": "Rio"}),
        ]:
            Contact.objects.update_or_create(
                bot=router, phone=phone, defaults={"name": name, "extras": extras}
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready: admin/admin, operador/demo, ana@example.com/demo, "
                "bruno@example.com/demo."
            )
        )

    def _user(self, username, password, *, superuser=False, staff=None, first_name=""):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"email": username if "@" in username else "", "first_name": first_name},
        )
        if created:
            user.set_password(password)
        user.is_superuser = superuser
        user.is_staff = superuser if staff is None else staff
        user.save()
        return user

    def _bot(self, slug, name, **fields):
        bot, _ = Bot.objects.update_or_create(slug=slug, defaults={"name": name, **fields})
        return bot

    def _blocks(self, bot, blocks):
        for block_id, name in blocks:
            FlowBlock.objects.update_or_create(bot=bot, block_id=block_id, defaults={"name": name})

    def _attendant(self, bot, email, name, status, user, teams):
        attendant, _ = Attendant.objects.update_or_create(
            bot=bot, email=email, defaults={"name": name, "status": status, "user": user}
        )
        attendant_set_teams(attendant=attendant, teams=teams)

    def _desk_tools(self, bot, team):
        """Pause reasons, closing tags and quick replies of the vendas Desk (issue 9)."""
        for position, name in enumerate(["Almoço", "Reunião", "Treinamento"]):
            PauseReason.objects.update_or_create(
                bot=bot, name=name, defaults={"position": position}
            )
        for name in ["Venda", "Dúvida", "Reclamação", "Inatividade do cliente"]:
            ClosingTag.objects.get_or_create(bot=bot, name=name)
        replies = [
            (None, "Saudação", "Olá, {first_name}! Aqui é do time de vendas. Como posso ajudar?"),
            (team, "Prazo de entrega", "{first_name}, para {cidade} a entrega leva até 5 dias."),
        ]
        for reply_team, title, text in replies:
            QuickReply.objects.update_or_create(
                bot=bot, team=reply_team, title=title, defaults={"text": text}
            )

    def _rule(self, bot, team):
        rule, _ = AttendanceRule.objects.update_or_create(
            bot=bot, priority=1, defaults={"name": "Cidade", "team": team, "operator": "or"}
        )
        rule.conditions.all().delete()
        RuleCondition.objects.create(
            rule=rule,
            source="extra",
            extra_key="cidade",
            relation="equals",
            values=["BH", "Belo Horizonte"],
        )
        RuleCondition.objects.create(
            rule=rule, source="last_message", relation="contains", values=["comprar", "preço"]
        )

    def _member(self, user, bot, role):
        BotMembership.objects.update_or_create(user=user, bot=bot, defaults={"role": role})

    def _template(self, bot, spec):
        spec = dict(spec)
        name = spec.pop("name")
        spec.setdefault("status", "approved")
        spec.setdefault("header_type", "none")
        spec.setdefault("header_text", "")
        template, _ = MessageTemplate.objects.update_or_create(
            bot=bot, name=name, language="pt_BR", defaults=spec
        )
        template.full_clean()
