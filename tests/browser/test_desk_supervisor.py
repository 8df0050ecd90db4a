"""Supervision in the browser: a ticket directed to an Offline attendant, seen and transferred."""

from django.utils import timezone

from bots.models import Bot, FlowBlock
from bots.services import contact_get_or_create, contact_move_to_block
from desk.inbound import inbound_receive
from desk.models import Attendant, Team, Ticket
from desk.services import directive_create
from tests.browser.conftest import PHONE, screenshot


def _reply_for_bruno(phone="+5521998877665"):
    router = Bot.objects.get(slug="demo-router")
    vendas = Bot.objects.get(slug="vendas")
    human = FlowBlock.objects.get(bot=vendas, block_id="desk:atendimento-vendas")
    bruno = Attendant.objects.get(bot=vendas, email="bruno@example.com")  # Offline in the demo
    contact = contact_get_or_create(bot=router, phone=phone)
    directive_create(
        contact=contact,
        bot=vendas,
        sent_at=timezone.now(),
        source_label="Reativação",
        attendant=bruno,
        human_block=human,
    )
    contact_move_to_block(contact=contact, bot=vendas, block=human)
    inbound_receive(bot=router, phone=phone, text="Olá, recebi a mensagem")
    return Ticket.objects.get(contact=contact)


def test_supervisor_sees_the_directed_ticket_arrive_and_transfers_it(page, demo, login):
    login("admin", "admin")
    page.goto(f"{page.base_url}/desk/supervisor/")
    board = page.get_by_test_id("waiting-ticket")
    assert board.count() == 0
    ticket = _reply_for_bruno()
    # The board refreshes by itself: no reload here.
    page.locator(f"[data-testid=waiting-ticket][data-ticket='{ticket.pk}']").wait_for()
    screenshot(page, "desk_supervisor")
    page.set_viewport_size(PHONE)
    screenshot(page, "desk_supervisor_phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator(f"[data-ticket='{ticket.pk}'] a").click()
    vendas_team = Team.objects.get(bot__slug="vendas", name="Vendas")
    page.get_by_test_id("transfer-target").select_option(f"team:{vendas_team.pk}")
    page.once("dialog", lambda dialog: dialog.dismiss())  # first: change of mind
    page.get_by_test_id("transfer-submit").click()
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("transfer-submit").click()
    page.wait_for_url("**/desk/supervisor/")
    ticket.refresh_from_db()
    assert ticket.status == "transferred"
    # Ana is Online in Vendas: the transferred customer goes to her at once (R21).
    new = ticket.transferred_to
    assert (new.team, new.status, new.attendant.email) == (vendas_team, "open", "ana@example.com")
