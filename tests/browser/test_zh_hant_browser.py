"""The Traditional Chinese pages in Chromium at 390 and 1280 px: the reader switches to 繁體中文,
reads a guide in Traditional characters, searches; axe finds no serious or critical problem;
screenshots with a CJK font (fonts-noto-cjk)."""

import re
import shutil

import pytest
from django.utils import translation

from kb.models import Guide
from kb.services.demo import DEMO_DIR, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SIMPLIFIED_ONLY = set(
    "这们说时会过还发后对开关门问题网号码机话费务账户转携帐续应该让请选择设电经为与运营联络认证档"
)


@pytest.fixture
def guide(tmp_path):
    shutil.copy(DEMO_DIR / "catalogue.yaml", tmp_path / "catalogue.yaml")
    (tmp_path / "guides").mkdir()
    for path in (DEMO_DIR / "guides").glob("giffgaff-*"):
        shutil.copy(path, tmp_path / "guides" / path.name)
    load_demo(tmp_path)
    return Guide.objects.published().get(slug="giffgaff-port-out", language="zh-hans")


def pages(guide):
    with translation.override("zh-hant"):
        return {
            "home": "/zh-hant/",
            "carrier": guide.carrier.get_absolute_url(),
            "guide": guide.get_absolute_url(),
            "search": "/zh-hant/search/?q=攜號轉網",
        }


def main_text(page) -> str:
    return page.evaluate(
        """() => {
          const main = document.querySelector('main').cloneNode(true);
          main.querySelectorAll('code, pre, [lang="zh-Hans"]').forEach(n => n.remove());
          return main.innerText;
        }"""
    )


def test_a_reader_switches_to_traditional_chinese_and_reads_the_guide(page, guide):
    page.goto(guide.get_absolute_url())
    page.locator(".language-switch").get_by_role("link", name="繁體中文").click()
    page.wait_for_url("**/zh-hant/guides/giffgaff-port-out/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    heading = page.locator("h1").inner_text()
    assert heading and not SIMPLIFIED_ONLY & set(heading)
    text = main_text(page)
    assert "giffgaff" in text and "PAC" in text
    assert not SIMPLIFIED_ONLY & set(text)

    page.locator(
        "header form[role=search] input[name=q], form[role=search] input[name=q]"
    ).first.fill("攜號轉網")
    page.locator("form[role=search] input[name=q]").first.press("Enter")
    page.wait_for_url(re.compile(r".*/zh-hant/search/\?.*"))
    assert page.locator("main a[href*='/search/go/']").count() >= 1


@pytest.mark.parametrize("size", SIZES)
def test_traditional_pages_pass_axe_and_are_screenshotted(
    page, guide, size, screenshot, axe_violations
):
    page.set_viewport_size(SIZES[size])
    for name, path in pages(guide).items():
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "zh-Hant", path
        assert axe_violations(page) == [], path
        # No horizontal scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"], path
        screenshot(page, f"zh-hant-{name}-{size}")
