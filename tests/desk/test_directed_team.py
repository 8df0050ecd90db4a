"""A ticket directed to an attendant is filed under one of the attendant's teams, not Default."""

import pytest
from django.utils import timezone

from bots.services import contact_move_to_block
from desk.inbound import inbound_receive
from desk.models import Ticket
from desk.services import directive_create
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.desk.factories import AttendantFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _directed_ticket(teams_of):
    bot = BotFactory()
    default = TeamFactory(bot=bot, name="Default")
    named = {name: TeamFactory(bot=bot, name=name) for name in ("Vendas", "Pós-venda")}
    named["Default"] = default
    ana = AttendantFactory(bot=bot, teams=[named[name] for name in teams_of])
    contact = ContactFactory(bot=bot)
    contact_move_to_block(contact=contact, bot=bot, block=FlowBlockFactory(bot=bot, human=True))
    directive_create(
        contact=contact, bot=bot, sent_at=timezone.now(), source_label="C", attendant=ana
    )
    inbound_receive(bot=bot, phone=contact.phone, text="Oi")
    ticket = Ticket.objects.get()
    assert ticket.requested_attendant == ana
    return ticket, named


@pytest.mark.parametrize(
    ("teams_of", "expected"),
    [
        (["Default", "Vendas"], "Vendas"),
        (["Vendas"], "Vendas"),
        (["Pós-venda", "Default"], "Pós-venda"),
        (["Default"], "Default"),
    ],
)
def test_R13_directed_ticket_goes_under_the_attendants_team(teams_of, expected):
    ticket, _named = _directed_ticket(teams_of)
    assert ticket.team.name == expected


def test_R13_between_two_teams_of_the_attendant_the_first_one_made_wins():
    ticket, named = _directed_ticket(["Pós-venda", "Vendas"])
    assert ticket.team == min(named["Vendas"], named["Pós-venda"], key=lambda t: t.pk)
