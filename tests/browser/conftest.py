"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server.

Fixtures for every browser test in the project:

- ``live_server``: pytest-django's live server, but static files are served the production way
  (whitenoise, from the collected STATIC_ROOT with hashed names), so pages look as they do live.
- ``browser``: one headless Chromium for the session.
- ``page``: a fresh browser context and page for one test (desktop size; ``page.set_viewport_size``
  or the ``PHONE`` / ``DESKTOP`` sizes in tests/browser/viewports.py), with ``base_url`` set to the live server,
  so ``page.goto("/zh-hans/")`` works.
- ``screenshot(page, name)``: saves tests/browser/screenshots/<name>.png (git-ignored).
- ``axe_violations(page)``: runs axe-core (vendored in tests/browser/vendor/) on the page and
  returns the serious and critical violations.

Without /usr/bin/chromium the tests are skipped, except under CI=true, where it is a failure.
"""

import os
from pathlib import Path

import pytest

from tests.browser.viewports import DESKTOP

# Playwright's sync API runs an event loop in this thread; Django's ORM must still be usable.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
AXE_SCRIPT = HERE / "vendor" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(request):
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    class ProductionStaticLiveServer(LiveServer):
        def __init__(self, addr):
            super().__init__(addr, start=False)
            thread = self.thread
            self.thread = LiveServerThread(
                thread.host,
                static_handler=lambda application: application,
                connections_override=thread.connections_override,
                port=thread.port,
            )
            self.thread.daemon = True
            self.start()

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = ProductionStaticLiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(autouse=True)
def _forget_reads():
    """Read counts from one test's page views must not be written into the next test's data."""
    from kb.services import feedback

    feedback.reads_discard()
    yield
    feedback.reads_discard()


@pytest.fixture
def screenshot():
    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def axe_violations():
    source = AXE_SCRIPT.read_text(encoding="utf-8")

    def run(page, *, impacts=("serious", "critical")) -> list[dict]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "targets": [node["target"] for node in violation["nodes"]][:5],
            }
            for violation in result["violations"]
            if violation["impact"] in impacts
        ]

    return run
