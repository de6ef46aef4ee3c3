"""Finding the one guide in Chromium: the chooser and search on a phone (390 x 844) and a
desktop (1280 px), with axe-core finding no serious or critical problem."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from kb.models import Guide
from kb.services.demo import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"390": PHONE_390, "1280": DESKTOP}


@pytest.fixture
def demo():
    load_demo()


@pytest.mark.parametrize("size", SIZES)
def test_the_chooser_leads_from_the_carrier_page_to_the_one_guide(
    page, demo, size, screenshot, axe_violations
):
    page.set_viewport_size(SIZES[size])
    guide = Guide.objects.published().get(
        carrier__slug="t-mobile", task__slug="cancel", plan_type="monthly", language="zh-hans"
    )
    page.goto("/zh-hans/carriers/t-mobile/")
    chooser = page.locator("section.chooser")
    assert chooser.is_visible()
    assert axe_violations(page) == []
    chooser.get_by_label("不保留，我要注销这条线路").check()
    chooser.get_by_label("月结套餐（每月出账单）").check()
    screenshot(page, f"chooser-carrier-{size}")
    chooser.get_by_role("button", name="显示我的指南").click()
    page.wait_for_url("**/zh-hans/choose/?*")
    answer = page.locator(".chooser-answer")
    assert answer.get_by_role("link", name=guide.title).is_visible()
    assert axe_violations(page) == []
    screenshot(page, f"chooser-answer-{size}")
    answer.get_by_role("link", name=guide.title).click()
    page.wait_for_url(f"**{guide.get_absolute_url()}")


@pytest.mark.parametrize("size", SIZES)
def test_the_chooser_on_a_country_page_asks_for_the_carrier_and_offers_a_request(
    page, demo, size, screenshot, axe_violations
):
    page.set_viewport_size(SIZES[size])
    page.goto("/en/countries/gb/")
    chooser = page.locator("section.chooser")
    # The demo has no guide to ending a Three UK line, for Three or for the whole country.
    chooser.get_by_label("Your carrier").select_option("three-uk")
    chooser.get_by_label("No, I want to end the line").check()
    chooser.get_by_role("button", name="Show my guide").click()
    page.wait_for_url("**/en/choose/?*")
    answer = page.locator(".chooser-answer")
    assert "No guide yet for this case" in answer.inner_text()
    assert axe_violations(page) == []
    screenshot(page, f"chooser-none-{size}")
    answer.get_by_role("link", name="Ask for this guide").click()
    page.wait_for_url("**/en/request/three-uk/cancel/")


def test_on_a_phone_the_first_result_is_on_the_first_screen(page, demo, screenshot, axe_violations):
    page.set_viewport_size(PHONE_390)
    page.goto("/zh-hans/search/?q=T-Mobile+暂停")
    first = page.locator(".search-result").first
    box = first.bounding_box()
    assert box is not None and box["y"] + min(box["height"], 60) <= PHONE_390["height"]
    facets = page.locator(".search-filters")
    assert facets.locator("summary").is_visible()
    assert not facets.locator(".facet").first.is_visible()
    assert axe_violations(page) == []
    screenshot(page, "search-phone-390")
    facets.locator("summary").click()
    assert facets.locator(".facet").first.is_visible()
    screenshot(page, "search-phone-390-filters")


def test_on_a_desktop_the_filters_stand_open_beside_the_results(page, demo, screenshot):
    page.set_viewport_size(DESKTOP)
    page.goto("/zh-hans/search/?q=T-Mobile+暂停")
    facets = page.locator(".search-filters")
    assert facets.locator(".facet").first.is_visible()
    assert not facets.locator("summary").is_visible()
    screenshot(page, "search-desktop-1280")


def _long_guide():
    from django.db.models import Count

    return (
        Guide.objects.published()
        .filter(language="zh-hans")
        .annotate(n=Count("steps"))
        .filter(n__gt=4)
        .order_by("pk")
        .first()
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_long_guide_has_contents_folded_on_a_phone_and_open_on_a_desktop(
    page, demo, size, screenshot, axe_violations
):
    guide = _long_guide()
    assert guide is not None, "the demo has a guide with more than four steps"
    page.set_viewport_size(SIZES[size])
    page.goto(guide.get_absolute_url())
    toc = page.locator(".guide-toc details")
    assert toc.is_visible()
    assert toc.evaluate("d => d.open") is (size == "1280")
    if size == "390":
        toc.locator("summary").click()
    toc.get_by_role("link").nth(2).click()
    page.wait_for_url("**#step-3")
    assert axe_violations(page) == []
    screenshot(page, f"guide-toc-{size}")


def test_the_home_title_and_the_search_placeholder_fit_on_a_phone(page, demo, screenshot):
    page.set_viewport_size(PHONE_390)
    for path in ("/zh-hans/", "/en/"):
        page.goto(path)
        last_line, font = page.locator("main h1").evaluate(
            """h => { const r = document.createRange(); r.selectNodeContents(h);
                 const rects = [...r.getClientRects()];
                 return [rects[rects.length - 1].width, parseFloat(getComputedStyle(h).fontSize)]; }"""
        )
        assert last_line >= 2 * font, f"{path}: the title's last line holds one character"
        room, needed = page.locator("main input[name=q]").evaluate(
            """i => { const s = getComputedStyle(i); const c = document.createElement('canvas')
                 .getContext('2d'); c.font = s.font;
                 return [i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight),
                         c.measureText(i.placeholder).width]; }"""
        )
        assert needed <= room, f"{path}: the placeholder is cut off ({needed} > {room})"
        screenshot(page, f"home-390-{path.strip('/')}")


@pytest.mark.parametrize("size", SIZES)
def test_a_guide_opened_once_can_be_read_again_offline(
    page, demo, size, screenshot, axe_violations
):
    page.set_viewport_size(SIZES[size])
    guide = Guide.objects.published().filter(language="zh-hans").order_by("pk").first()
    other = Guide.objects.published().filter(language="zh-hans").order_by("-pk").first()
    page.goto(guide.get_absolute_url())
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(guide.get_absolute_url())  # now through the service worker, which keeps it
    page.goto("/zh-hans/saved/")
    page.wait_for_function(
        "url => caches.open('kb-guides-v1').then(c => c.match(location.origin + url))"
        ".then(r => !!r)",
        arg=guide.get_absolute_url(),
    )
    kept = page.evaluate(
        "() => Promise.all(['kb-guides-v1', 'kb-assets-v1'].map(n => caches.open(n)"
        ".then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))))"
    )
    assert sorted(kept[0]) == sorted([guide.get_absolute_url(), "/zh-hans/saved/"])
    assert kept[1] and all(path.endswith(".css") for path in kept[1])

    page.context.set_offline(True)
    page.goto(guide.get_absolute_url())
    assert page.locator("h1").inner_text() == guide.title
    note = page.locator(".offline-note")
    assert note.is_visible() and "离线副本，保存于" in note.inner_text()
    assert page.locator("main").evaluate("m => getComputedStyle(m).maxWidth") != "none"
    assert axe_violations(page) == []
    screenshot(page, f"offline-guide-{size}")

    page.goto("/zh-hans/saved/")
    saved = page.locator("#saved-guides")
    saved.get_by_role("link", name=guide.title).wait_for()
    assert not page.locator("#saved-empty").is_visible()
    screenshot(page, f"offline-saved-{size}")

    with pytest.raises(PlaywrightError):
        page.goto(other.get_absolute_url())
    page.context.set_offline(False)
