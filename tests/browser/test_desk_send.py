"""R27 in Chromium on the demo data: Ana sends a template from the Desk to two contacts (one she
attended before, one typed), one of them replies, and the ticket comes to her. Screenshots of
every page at 1280 and 390 px, in Portuguese."""

import os

from django.core.management import call_command

from bots.models import Bot, Contact
from campaigns.models import DeskSend, Recipient
from desk.models import Attendant, Ticket, TicketStatus
from tests.browser.conftest import log_in
from tests.browser.test_screenshots import _both_sizes
from tests.desk.factories import TicketFactory

CARLA = "+5511987654321"  # a customer Ana attended last week
DIEGO = "+5521998877665"  # known to the bot, typed by Ana in another notation


def _carla_attended_by_ana() -> Attendant:
    ana = Attendant.objects.get(bot__slug="vendas", email="ana@example.com")
    TicketFactory(
        bot=ana.bot,
        contact=Contact.objects.get(phone=CARLA),
        team=ana.teams.first(),
        attendant=ana,
        status=TicketStatus.CLOSED_BY_ATTENDANT,
        sequence=90,  # out of the way of the Desk's own numbering (1, 2, …)
    )
    return ana


def test_R27_ana_sends_a_template_to_two_contacts_and_the_reply_comes_to_her(page, demo):
    ana = _carla_attended_by_ana()
    log_in(page, "ana@example.com", "demo")
    page.goto(f"{page.base_url}/desk/")
    page.get_by_test_id("action-desk-send").click()

    # Step 1: the template, Carla from her tickets, Diego typed as people write it.
    page.get_by_test_id("template-choice").filter(has_text="retomada_pedido").click()
    page.get_by_label("Carla Dias (+55 11 98765-4321)").check()
    page.fill("#id_choose-phones", "(21) 99887-7665")
    _both_sizes(page, "desk-send-step1")
    page.get_by_test_id("choose-next").click()

    # Step 2: {{1}} comes from each contact's first name; the order numbers are typed.
    rows = page.get_by_test_id("row")
    rows.nth(1).wait_for()  # count() does not wait for step 2 to load
    assert rows.count() == 2
    assert page.input_value("[name=rows-0-var_1]") == "Carla"
    assert page.input_value("[name=rows-1-var_1]") == "Diego"
    page.fill("[name=rows-0-var_2]", "A-123")
    page.fill("[name=rows-0-button]", "A-123")
    page.fill("[name=rows-1-var_2]", "B-456")
    page.fill("[name=rows-1-button]", "B-456")
    page.get_by_test_id("apply-defaults").click()  # the typed values stay as they are
    assert page.input_value("[name=rows-1-var_2]") == "B-456"
    assert "Olá, Carla! Seu pedido A-123" in rows.first.inner_text()
    _both_sizes(page, "desk-send-step2")
    page.get_by_test_id("send").click()

    # Sent by me: both went out now, routed to Ana.
    page.wait_for_url("**/desk/active-messages/?attendant=*")
    assert page.get_by_test_id("sent-row").count() == 2
    assert Recipient.objects.filter(status="sent").count() == 2
    assert {s.contact.phone for s in DeskSend.objects.filter(attendant=ana)} == {CARLA, DIEGO}
    _both_sizes(page, "desk-sent-by-me")

    # Carla replies; Diego does not. The ticket is Ana's (R13), whatever the rules say.
    router = Bot.objects.get(slug="demo-router")
    call_command("receive_message", router.slug, CARLA, "Oi, Ana! Quero sim.", stdout=_quiet())
    ticket = Ticket.objects.get(contact__phone=CARLA, status__in=["waiting", "open"])
    assert ana in (ticket.requested_attendant, ticket.attendant)
    assert not Ticket.objects.filter(contact__phone=DIEGO).exists()

    page.goto(f"{page.base_url}/desk/")
    if ticket.status == TicketStatus.WAITING:  # manual distribution: she pulls it
        page.get_by_test_id("attend-next").click()
    else:  # automatic distribution: it is already in her list
        page.get_by_test_id("my-ticket").filter(has_text="Carla").click()
    page.wait_for_url(f"**/desk/demo-router/tickets/{ticket.pk}/")
    conversation = page.get_by_test_id("conversation")
    assert "Seu pedido A-123" in conversation.inner_text()
    assert "Quero sim" in conversation.inner_text()
    reached = page.get_by_test_id("reached-by").first.inner_text()
    assert "retomada_pedido" in reached and "Ana Souza" in reached
    _both_sizes(page, "desk-send-reply-ticket")

    page.goto(f"{page.base_url}/desk/active-messages/?attendant={ana.pk}")
    carla_row = page.get_by_test_id("sent-row").filter(has_text="Carla")
    assert carla_row.get_attribute("data-status") == "replied"
    assert carla_row.get_by_test_id("sent-ticket").count() == 1


def test_R27_refusals_in_the_browser_cap_and_permission(page, demo):
    """The cap names the contact and the next allowed time; Bruno never sees the feature."""
    _carla_attended_by_ana()
    log_in(page, "ana@example.com", "demo")
    for _attempt in range(2):
        page.goto(f"{page.base_url}/desk/active-messages/new/")
        page.get_by_test_id("template-choice").filter(has_text="boas_vindas").click()
        page.get_by_label("Carla Dias (+55 11 98765-4321)").check()
        page.get_by_test_id("choose-next").click()
        if page.get_by_test_id("desk-send").get_attribute("data-step") == "2":
            page.get_by_test_id("send").click()
            page.wait_for_url("**/desk/active-messages/?attendant=*")
    errors = page.get_by_test_id("choose-errors")
    assert errors.locator("[data-code=R27_contact_cap]").count() == 1
    assert "Carla Dias" in errors.inner_text()
    _both_sizes(page, "desk-send-cap")

    page.context.clear_cookies()
    log_in(page, "bruno@example.com", "demo")
    page.goto(f"{page.base_url}/desk/")
    assert page.get_by_test_id("action-desk-send").count() == 0
    response = page.goto(f"{page.base_url}/desk/active-messages/new/")
    assert response.status == 404


def _quiet():
    return open(os.devnull, "w")
