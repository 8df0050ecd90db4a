"""The Active Messages page: R1 (no WhatsApp, no button, and why)."""

from tests.browser.test_wizard import shoot, switch_bot


def test_R1_bot_without_whatsapp_shows_no_button_and_says_why(page, demo, login):
    login("operador", "demo", "/campaigns/")
    switch_bot(page, "Demo Router")
    assert page.locator("[data-testid=send-active-messages]").count() == 1
    switch_bot(page, "Sem WhatsApp")
    assert page.locator("[data-testid=send-active-messages]").count() == 0
    assert page.locator("[data-testid=r1-notice][data-code=R1_not_connected]").is_visible()
    shoot(page, "campaign-list-R1-no-whatsapp")
