def test_admin_logs_in_and_reaches_the_portal_in_portuguese(page, demo, login):
    login("admin", "admin")
    assert page.locator("#user-tools").count() == 1
    page.goto(f"{page.base_url}/admin/")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert page.locator("#site-name").inner_text().strip() == "blipportal"
