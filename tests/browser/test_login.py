def test_admin_logs_in_and_reaches_the_portal_in_portuguese(page, demo, login):
    login("admin", "admin")
    assert page.locator("#user-tools").count() == 1
    page.goto(f"{page.base_url}/admin/")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert page.locator("#site-name").inner_text().strip() == "blipportal"


def test_wrong_passwords_lock_the_login_with_a_clear_portuguese_message(page, demo, settings):
    """Issue 13: five wrong passwords lock the user at this address; the page says why and for
    how long, in pt-BR, and the right password no longer gets in until an admin unlocks it."""
    from tests.browser.conftest import PHONE, log_in, screenshot

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    for attempt in range(5):
        log_in(page, "operador", f"errada{attempt}")
    log_in(page, "operador", "demo")
    note = page.locator(".login-locked")
    assert note.is_visible()
    assert "15 minutos" in note.inner_text()
    assert "administrador" in note.inner_text()
    assert page.url.endswith("/login/")  # not logged in
    screenshot(page, "login_locked_1280")
    page.set_viewport_size(PHONE)
    screenshot(page, "login_locked_390")
    page.click("text=Voltar para a página de login")
    assert page.locator("#id_username").is_visible()
