"""Issue 9 in Chromium, on the demo data: absence with a substitute (R23), inactivity (R24), and
the attendant's tools and the supervisor board as a person sees them."""

import datetime as dt

from django.utils import timezone

from bots.models import Bot
from bots.services import contact_get_or_create, contact_move_to_block
from campaigns.models import Campaign
from desk.inbound import inbound_receive
from desk.models import (
    Attendant,
    AttendantAbsence,
    ClosingTag,
    DeskSettings,
    PauseReason,
    QuickReply,
    ReplyDirective,
    Ticket,
)
from desk.selectors import ticket_attendant_email
from desk.timers import desk_timers_tick
from tests.browser.conftest import DESKTOP, log_in
from tests.browser.test_wizard import individual_to_attendant, shoot, start

CUSTOMER = "+5511987654321"


def _vendas():
    return Bot.objects.get(slug="vendas")


def _person(email):
    return Attendant.objects.get(bot=_vendas(), email=email)


def _customer_writes(text):
    """Carla writes to the router's human block of vendas: Ana (Online) receives her (R21)."""
    router, vendas = Bot.objects.get(slug="demo-router"), _vendas()
    contact = contact_get_or_create(bot=router, phone=CUSTOMER)
    contact_move_to_block(contact=contact, bot=vendas, block=vendas.blocks.get(kind="human"))
    return inbound_receive(bot=router, phone=CUSTOMER, text=text)


def _second_browser(browser, page, user):
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR", timezone_id="America/Sao_Paulo")
    other = context.new_page()
    other.set_default_timeout(15_000)
    other.base_url = page.base_url
    log_in(other, user, "demo")
    return context, other


def test_R23_bruno_absent_with_ana_as_substitute_step_4_says_so(page, demo, login):
    today = timezone.localdate()
    AttendantAbsence.objects.create(
        attendant=_person("bruno@example.com"),
        starts_on=today,
        ends_on=today + dt.timedelta(days=4),
        substitute=_person("ana@example.com"),
        note="Férias",
    )
    start(page, login, "operador", "demo")
    individual_to_attendant(page, "bruno@example.com")
    notice = page.locator("#r23-substitute")
    assert notice.is_visible()
    assert "ana@example.com" in notice.inner_text()
    assert (today + dt.timedelta(days=5)).strftime("%d/%m/%Y") in notice.inner_text()
    shoot(page, "wizard-4-send-substitute")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    campaign = Campaign.objects.get()
    assert (campaign.attendant.email, campaign.absent_attendant.email) == (
        "ana@example.com",
        "bruno@example.com",
    )
    directive = ReplyDirective.objects.get(superseded=False)
    assert (directive.attendant.email, directive.meant_for.email) == (
        "ana@example.com",
        "bruno@example.com",
    )


def test_R24_a_silent_customer_is_warned_then_closed_with_its_tag(page, browser, demo):
    tag = ClosingTag.objects.get(bot=_vendas(), name="Inatividade do cliente")  # seed_demo
    DeskSettings.objects.update_or_create(
        bot=_vendas(),
        defaults={
            "inactivity_warning_minutes": 10,
            "inactivity_close_minutes": 5,
            "inactivity_close_tag": tag,
            "inactivity_warning_text": "Ainda está por aí? Sem resposta, encerramos o atendimento.",
        },
    )
    result = _customer_writes("Oi, quero comprar de novo")
    # R21: placed at once by the message's after-commit task (eager here, as under make run).
    assert ticket_attendant_email(ticket_id=result.ticket_id) == "ana@example.com"
    context, ana = _second_browser(browser, page, "ana@example.com")
    ana.goto(f"{ana.base_url}/desk/")
    ana.locator(f"[data-testid=my-ticket][data-ticket='{result.ticket_id}'] a").click()
    ana.get_by_test_id("reply-text").fill("Olá! Pode me passar o número do pedido?")
    ana.get_by_test_id("reply-send").click()
    ana.wait_for_load_state("networkidle")

    # The customer stays silent: the Desk timers run with the clock 10, then 15 minutes ahead.
    silent_since = Ticket.objects.get(pk=result.ticket_id).customer_silent_since
    assert desk_timers_tick(now=silent_since + dt.timedelta(minutes=10))["warned"] == [
        result.ticket_id
    ]
    conversation = ana.get_by_test_id("conversation")
    conversation.get_by_text("Ainda está por aí?").wait_for()  # no reload: the page refreshes
    assert desk_timers_tick(now=silent_since + dt.timedelta(minutes=15))["closed"] == [
        result.ticket_id
    ]
    ana.reload()
    status = ana.get_by_test_id("ticket-status")
    assert status.get_attribute("data-status") == "closed_client"
    assert status.inner_text() == "Encerrado por inatividade do cliente"
    assert ana.get_by_test_id("ticket-tags").inner_text().strip() == "Inatividade do cliente"
    shoot(ana, "desk-ticket-closed-inactivity")
    context.close()


def test_the_attendants_tools_and_the_supervisor_board(page, browser, demo, login):
    vendas = _vendas()
    # seed_demo gives vendas pause reasons, closing tags and quick replies.
    lunch = PauseReason.objects.get(bot=vendas, name="Almoço")
    assert QuickReply.objects.filter(bot=vendas, title="Saudação").exists()
    result = _customer_writes("Quero comprar o plano anual")
    Ticket.objects.filter(pk=result.ticket_id).update(
        unanswered_flagged_at=timezone.now(),
        awaiting_reply_since=timezone.now() - dt.timedelta(minutes=7),
    )
    context, ana = _second_browser(browser, page, "ana@example.com")
    ana.goto(f"{ana.base_url}/desk/demo-router/tickets/{result.ticket_id}/")
    ana.get_by_test_id("quick-reply").select_option(label="Saudação")
    assert ana.get_by_test_id("reply-text").input_value().startswith("Olá, ")
    ana.get_by_test_id("note-text").fill("Cliente já comprou conosco em 2023.")
    ana.get_by_test_id("note-add").click()
    ana.wait_for_load_state("networkidle")
    assert "comprou conosco" in ana.get_by_test_id("notes").inner_text()
    shoot(ana, "desk-ticket-tools")

    # A second customer waits in Vendas while Ana pauses for lunch: the board shows it all.
    ana.goto(f"{ana.base_url}/desk/")
    ana.get_by_test_id("attendant-status").select_option(f"pause:{lunch.pk}")
    ana.wait_for_load_state("networkidle")
    assert "Almoço" in ana.get_by_test_id("status-timer").inner_text()
    shoot(ana, "desk-home-paused")
    contact = contact_get_or_create(bot=Bot.objects.get(slug="demo-router"), phone="+5521998877665")
    contact_move_to_block(contact=contact, bot=vendas, block=vendas.blocks.get(kind="human"))
    waiting = inbound_receive(
        bot=Bot.objects.get(slug="demo-router"), phone="+5521998877665", text="comprar"
    )
    assert Ticket.objects.get(pk=waiting.ticket_id).status == "waiting"

    login("admin", "admin", "/desk/supervisor/")
    row = page.locator(
        f"[data-testid=attendant-row][data-attendant='{_person('ana@example.com').pk}']"
    )
    assert "Almoço" in row.inner_text()
    assert row.get_by_test_id("unanswered-flag").is_visible()
    assert row.get_by_test_id("load").inner_text().replace(" ", "") == "1/5"
    queue = page.locator("[data-testid=queue][data-waiting='1']")
    assert queue.get_by_test_id("longest-wait").is_visible()
    shoot(page, "desk-supervisor-board")
    context.close()
