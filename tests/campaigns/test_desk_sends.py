"""R27: an allowed attendant sends an approved template from the Desk to 1–15 contacts; replies
come back to them; a per-contact cap applies. R28: the campaign rules refuse it with their codes."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bots.errors import error_codes
from bots.models import Bot, Contact, FlowBlock
from campaigns import validation
from campaigns.desk_sends import services
from campaigns.desk_sends.services import DeskSendTarget, desk_send_create
from campaigns.models import Campaign, DeskSend, MessageTemplate, Recipient
from desk.inbound import inbound_receive
from desk.models import Attendant, ReplyDirective, TeamMembership, Ticket
from tests.bots.factories import ContactFactory, FlowBlockFactory, SubBotFactory, UserFactory
from tests.campaigns.factories import (
    DeskSenderFactory,
    DeskSendSettingsFactory,
    MessageTemplateFactory,
)
from tests.desk.factories import AttendantAbsenceFactory, AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db

MARIA = "+5511977771234"
JOAO = "+5521988776655"


@dataclass
class Desk:
    router: Bot
    vendas: Bot
    ana: Attendant
    template: MessageTemplate
    human: FlowBlock


def make_desk() -> Desk:
    """A WhatsApp router whose sub-bot ``vendas`` has Ana, allowed to send from the Desk."""
    vendas = SubBotFactory(slug="vendas")
    router = vendas.router
    router.whatsapp_number = "+5511999990000"
    router.save()
    human = FlowBlockFactory(bot=vendas, human=True, name="Atendimento humano")
    team = TeamFactory(bot=vendas, name="Vendas")
    ana = AttendantFactory(
        bot=vendas, email="ana@example.com", name="Ana Souza", teams=[team], user=UserFactory()
    )
    DeskSenderFactory(attendant=ana)
    template = MessageTemplateFactory(bot=router, name="retomada", body="Olá, {{1}}! Tudo bem?")
    return Desk(router=router, vendas=vendas, ana=ana, template=template, human=human)


@pytest.fixture
def desk() -> Desk:
    return make_desk()


def target(phone: str, value: str = "Maria", **fields) -> DeskSendTarget:
    return DeskSendTarget(phone=phone, parameters={"body": [value]}, **fields)


def send(desk: Desk, *targets: DeskSendTarget, attendant=None):
    return desk_send_create(
        attendant=attendant or desk.ana, template=desk.template, targets=list(targets)
    )


def refusal(desk: Desk, *targets, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        send(desk, *targets, **kwargs)
    return caught.value


def test_R27_one_individual_campaign_per_contact_routed_to_the_sender(
    desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sends = send(desk, target(MARIA, "Maria"), target(JOAO, "João"))

    assert [s.contact.phone for s in sends] == [MARIA, JOAO]
    for desk_send in sends:
        campaign = Campaign.objects.get(pk=desk_send.campaign_id)
        assert (campaign.kind, campaign.routing) == ("individual", "attendant")
        assert (campaign.routing_bot, campaign.attendant, campaign.flow_block) == (
            desk.vendas,
            desk.ana,
            desk.human,
        )
        assert campaign.created_by == desk.ana.user
        assert campaign.status == Campaign.Status.SENT
        recipient = Recipient.objects.get(campaign=campaign)
        assert recipient.status == Recipient.Status.SENT
        directive = ReplyDirective.objects.get(contact=desk_send.contact, superseded=False)
        assert directive.attendant == desk.ana
    values = Recipient.objects.order_by("contact__phone").values_list("parameters", flat=True)
    assert [v["body"] for v in values] == [["Maria"], ["João"]]


def test_R27_a_reply_within_24_hours_comes_back_to_the_sending_attendant(
    desk, django_capture_on_commit_callbacks
):
    other_team = TeamFactory(bot=desk.vendas, name="Default")
    AttendantFactory(bot=desk.vendas, teams=[other_team])  # someone else, also Online
    with django_capture_on_commit_callbacks(execute=True):
        send(desk, target(MARIA), target(JOAO))

    inbound_receive(bot=desk.router, phone=MARIA, text="Oi, Ana!")

    ticket = Ticket.objects.get(contact__phone=MARIA)
    assert (ticket.requested_attendant or ticket.attendant) == desk.ana
    assert not Ticket.objects.filter(contact__phone=JOAO).exists()


def test_R27_an_attendant_without_the_permission_cannot_send(desk):
    bruno = AttendantFactory(bot=desk.vendas, teams=list(desk.ana.teams.all()))
    error = refusal(desk, target(MARIA), attendant=bruno)
    assert error_codes(error) == {services.R27_NOT_ALLOWED}
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("count", [0, services.MAX_CONTACTS + 1])
def test_R27_from_1_to_15_contacts(desk, count):
    targets = [target(f"+55119777{n:05d}") for n in range(count)]
    error = refusal(desk, *targets)
    assert error_codes(error) == {services.R27_CONTACT_COUNT}
    assert not Contact.objects.exists()


def test_R27_fifteen_contacts_are_fine(desk):
    sends = send(desk, *[target(f"+55119777{n:05d}") for n in range(services.MAX_CONTACTS)])
    assert len(sends) == Campaign.objects.count() == services.MAX_CONTACTS


def test_R27_default_cap_one_message_per_contact_per_24_hours(desk):
    first = send(desk, target(MARIA))[0]

    error = refusal(desk, target(JOAO), target(MARIA))

    assert error_codes(error) == {services.R27_CONTACT_CAP}
    (problem,) = error.error_dict["contacts"]
    assert problem.params["index"] == 1
    assert problem.params["contact"] == "+55 11 97777-1234"
    assert problem.params["next_at"] == (first.created_at + dt.timedelta(hours=24)).isoformat()
    assert Campaign.objects.count() == 1  # nothing of the refused send, João included

    DeskSend.objects.update(created_at=timezone.now() - dt.timedelta(hours=24, minutes=1))
    assert len(send(desk, target(MARIA))) == 1


def test_R27_the_cap_counts_every_attendants_messages(desk):
    send(desk, target(MARIA, name="Maria Lima"))
    carla = AttendantFactory(bot=desk.vendas, teams=list(desk.ana.teams.all()))
    DeskSenderFactory(attendant=carla)

    error = refusal(desk, target(MARIA), attendant=carla)

    assert error_codes(error) == {services.R27_CONTACT_CAP}
    assert error.error_dict["contacts"][0].params["contact"] == "Maria Lima (+55 11 97777-1234)"


def test_R27_the_cap_is_set_per_bot(desk):
    DeskSendSettingsFactory(bot=desk.router, contact_cap=2, cap_window_hours=1)
    send(desk, target(MARIA))
    send(desk, target(MARIA))
    error = refusal(desk, target(MARIA))
    assert error.error_dict["contacts"][0].params["cap"] == 2

    DeskSend.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    assert len(send(desk, target(MARIA))) == 1


def test_R27_a_message_that_failed_does_not_count(desk):
    first = send(desk, target(MARIA))[0]
    Recipient.objects.filter(campaign=first.campaign).update(
        status=Recipient.Status.FAILED,
        failure_code="gateway_permanent",
        failure_reason="No WhatsApp",
    )
    assert len(send(desk, target(MARIA))) == 1


def test_R27_every_contacts_problem_is_named_and_nothing_is_sent(desk):
    ContactFactory(bot=desk.router, phone=JOAO, opted_out=True)
    send(desk, target(MARIA))

    error = refusal(
        desk,
        target(MARIA),
        target(JOAO),
        DeskSendTarget(phone="+5531988887777", parameters={"body": [""]}),
    )

    problems = {(e.params["index"], e.code) for e in error.error_dict["contacts"]}
    assert problems == {
        (0, services.R27_CONTACT_CAP),
        (1, validation.R16_CONTACT_OPTED_OUT),
        (2, "template_variable_missing"),
    }
    assert Campaign.objects.count() == 1
    assert not Contact.objects.filter(phone="+5531988887777").exists()


def test_R18_a_contact_typed_twice_in_two_forms_is_one_contact(desk):
    ContactFactory(bot=desk.router, phone=MARIA, whatsapp_identity="5511977771234@wa.gw.msging.net")
    error = refusal(
        desk, target(MARIA), target("+5511977771234", identity="5511977771234@wa.gw.msging.net")
    )
    assert error_codes(error) == {services.R27_DUPLICATE_CONTACT}


def test_R18_an_identity_finds_the_contact_stored_under_the_phone(desk):
    maria = ContactFactory(bot=desk.router, phone=MARIA, name="Maria")
    identity = "5511977771234@wa.gw.msging.net"
    (sent,) = send(desk, DeskSendTarget(phone=MARIA, identity=identity, parameters={"body": ["M"]}))
    assert sent.contact == maria
    maria.refresh_from_db()
    assert maria.whatsapp_identity == identity


def _desk_disabled(d):
    Bot.objects.filter(pk=d.vendas.pk).update(desk_enabled=False)


def _no_human_block(d):
    FlowBlock.objects.filter(pk=d.human.pk).delete()


def _router_context_off(d):
    Bot.objects.filter(pk=d.vendas.pk).update(uses_router_context=False)


def _not_in_a_team(d):
    TeamMembership.objects.filter(attendant=d.ana).delete()


def _not_connected(d):
    Bot.objects.filter(pk=d.router.pk).update(whatsapp_number="")


def _template_paused(d):
    MessageTemplate.objects.filter(pk=d.template.pk).update(status="paused")


@pytest.mark.parametrize(
    ("breakage", "code"),
    [
        (_desk_disabled, validation.R7_DESK_DISABLED),
        (_no_human_block, validation.R8_NO_HUMAN_BLOCK),
        (_router_context_off, validation.R9_ROUTER_CONTEXT_OFF),
        (_not_in_a_team, validation.R5_ATTENDANT_NOT_IN_TEAM),
        (_not_connected, validation.R1_NOT_CONNECTED),
        (_template_paused, validation.TEMPLATE_NOT_APPROVED),
    ],
)
def test_R28_a_desk_send_is_refused_with_the_wizards_codes(desk, breakage, code):
    breakage(desk)
    desk = make_desk_refreshed(desk)
    error = refusal(desk, target(MARIA))
    assert code in error_codes(error)
    assert not Campaign.objects.exists() and not DeskSend.objects.exists()


def make_desk_refreshed(desk: Desk) -> Desk:
    desk.ana = Attendant.objects.select_related("bot__router").get(pk=desk.ana.pk)
    desk.template.refresh_from_db()
    return desk


def test_R23_an_absent_sender_without_a_substitute_is_refused_with_the_return_date(desk):
    AttendantAbsenceFactory(attendant=desk.ana)
    error = refusal(desk, target(MARIA))
    assert error_codes(error) == {validation.R23_ATTENDANT_ABSENT}
    assert not DeskSend.objects.exists()


def test_R23_an_absent_senders_replies_go_to_the_substitute(desk):
    substitute = AttendantFactory(bot=desk.vendas, teams=list(desk.ana.teams.all()))
    AttendantAbsenceFactory(attendant=desk.ana, substitute=substitute)
    (sent,) = send(desk, target(MARIA))
    campaign = Campaign.objects.get(pk=sent.campaign_id)
    assert (campaign.attendant, campaign.absent_attendant) == (substitute, desk.ana)
    assert sent.attendant == desk.ana  # still in Ana's Sent by me


def test_R26_a_desk_send_past_the_messaging_tier_waits_deferred_never_fails(
    desk, django_capture_on_commit_callbacks
):
    Bot.objects.filter(pk=desk.router.pk).update(messaging_tier=Bot.MessagingTier.TIER_250)
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(bot=desk.router, phone=f"+55119555{n:05d}", last_active_message_at=now)
        for n in range(250)
    )
    with django_capture_on_commit_callbacks(execute=True):
        (sent,) = send(desk, target(MARIA))

    recipient = Recipient.objects.get(campaign=sent.campaign)
    assert recipient.status == Recipient.Status.PENDING
    assert recipient.deferred_until is not None
