"""Playwright in Debian's headless Chromium against pytest-django's live server.

Every test under tests/browser is marked ``browser``; without Chromium it skips with the reason
(or fails under REQUIRE_SERVICES=1).
"""

import os
from pathlib import Path

import pytest

from tests.services import CHROMIUM_ARGS, chromium_path

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR", timezone_id="America/Sao_Paulo")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture(scope="session")
def asgi_server(browser):
    """The ASGI application (pages and WebSockets) on a daphne started for this session."""
    from tests.browser.asgi import ASGITestServer

    server = ASGITestServer()
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def asgi_page(browser, asgi_server, transactional_db):
    """A page whose base_url is the ASGI server: the Desk runs live over its socket there."""
    context = browser.new_context(viewport=DESKTOP, locale="pt-BR", timezone_id="America/Sao_Paulo")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = asgi_server
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def log_in(page, username: str, password: str) -> None:
    page.goto(f"{page.base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def login(page):
    def _login(username: str, password: str, target=None):
        log_in(page, username, password)
        if target:
            page.goto(f"{page.base_url}{target}")
        return page

    return _login


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under screenshots/ (git-ignored) for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
