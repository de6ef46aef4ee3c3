"""A reader on the public site, in Chromium: the journey from the home page to "did this work?",
phone and desktop screenshots, accessibility (axe-core), layout at 360 px, and page weight."""

import re

import pytest

from kb.models import Guide, GuideFeedback
from kb.services.demo import load_demo
from tests.browser.viewports import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    load_demo()
    guide = (
        Guide.objects.published()
        .filter(language="zh-hans", carrier__isnull=False, translations__status="published")
        .select_related("carrier")
        .order_by("carrier__name", "task__position")
        .first()
    )
    assert guide is not None, "the demo has a Chinese guide with an English translation"
    return guide


def public_pages(guide):
    english = guide.translations.get(language="en")
    return {
        "home": "/zh-hans/",
        "home-en": "/en/",
        "carrier": guide.carrier.get_absolute_url(),
        "country": guide.country.get_absolute_url(),
        "task": guide.task.get_absolute_url(),
        "guide": guide.get_absolute_url(),
        "guide-en": english.get_absolute_url(),
        "feedback": guide.get_absolute_url() + "feedback/?answer=no",
        "not-found": "/en/guides/no-such-guide/",
    }


def test_a_reader_goes_from_home_to_a_guide_switches_language_and_says_it_worked(page, demo):
    page.goto("/zh-hans/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    search = page.locator("main form[role=search] input[name=q]")
    assert search.is_visible()

    page.locator("main").get_by_role(
        "link", name=re.compile(re.escape(demo.carrier.name))
    ).first.click()
    page.wait_for_url(f"**{demo.carrier.get_absolute_url()}")
    assert page.locator("h1").inner_text().startswith(demo.carrier.name)

    page.locator(".task-matrix").get_by_role("link", name=demo.title).click()
    page.wait_for_url(f"**{demo.get_absolute_url()}")
    assert page.locator("h1").inner_text() == demo.title

    page.locator(".language-switch").get_by_role("link", name="English").click()
    english = demo.translations.get(language="en")
    page.wait_for_url(f"**{english.get_absolute_url()}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == english.title

    page.get_by_role("button", name="Yes, it worked").click()
    status = page.locator(".feedback-status")
    status.wait_for(state="visible")
    assert status.inner_text().strip()
    assert page.url.endswith(english.get_absolute_url())
    answer = GuideFeedback.objects.get()
    assert (answer.guide_id, answer.helpful, answer.language) == (english.pk, True, "en")

    page.locator("#feedback-comment").fill("Worked from Milan.")
    page.get_by_role("button", name="Send").click()
    page.locator(".feedback-more").wait_for(state="hidden")
    assert GuideFeedback.objects.get().comment == "Worked from Milan."


def test_a_reader_without_javascript_answers_no_and_gives_a_reason(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(demo.get_absolute_url())
        assert page.locator(".feedback-more").is_hidden()
        page.locator(".feedback-buttons button[value=no]").click()
        page.wait_for_url("**/feedback/?answer=no")
        assert page.locator(".alert-success").is_visible()
        page.locator("#feedback-reason").select_option("steps_differ")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/feedback/?answer=no-detailed")
    finally:
        context.close()
    answer = GuideFeedback.objects.get()
    assert (answer.helpful, answer.reason) == (False, "steps_differ")


@pytest.mark.parametrize("size_name, size", [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots_of_home_carrier_and_guide(page, demo, screenshot, size_name, size):
    page.set_viewport_size(size)
    pages = public_pages(demo)
    for name in ("home", "carrier", "guide", "guide-en", "not-found"):
        page.goto(pages[name])
        path = screenshot(page, f"{name}-{size_name}")
        assert path.stat().st_size > 5_000


def test_public_pages_have_no_serious_accessibility_violations(page, demo, axe_violations):
    found = {}
    for name, path in public_pages(demo).items():
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            page.goto(path)
            violations = axe_violations(page)
            if violations:
                found[f"{name} {size['width']}px"] = violations
    assert not found, found


def test_pages_fit_a_360_pixel_screen_without_sideways_scrolling(page, demo):
    page.set_viewport_size(PHONE)
    for name, path in public_pages(demo).items():
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (name, width)


def test_the_skip_link_appears_on_focus_and_moves_to_the_content(page, demo):
    page.goto(demo.get_absolute_url())
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_first_visit_to_a_guide_transfers_less_than_100_kb(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    transferred = {}

    def count(response):
        sizes = response.request.sizes()
        transferred[response.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    page.on("requestfinished", lambda request: count(request.response()))
    try:
        page.goto(demo.get_absolute_url(), wait_until="networkidle")
    finally:
        context.close()
    kinds = {url.rsplit(".", 1)[-1] for url in transferred if "/static/" in url}
    assert {"css", "js"} <= kinds
    print({url.rsplit("/", 1)[-1]: size for url, size in transferred.items()})
    assert sum(transferred.values()) < 100 * 1024, transferred


def test_the_accessibility_check_can_fail(page, live_server, axe_violations):
    page.goto(live_server.url + "/robots.txt")
    page.set_content('<html><body><main><input type="text"><img src="x.png"></main></body></html>')
    ids = {violation["id"] for violation in axe_violations(page, impacts=("serious", "critical"))}
    assert "label" in ids or "image-alt" in ids
