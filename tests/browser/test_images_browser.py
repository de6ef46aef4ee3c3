"""Pictures in Chromium: an editor uploads one in the guide admin; readers see it, sized."""

import re

import pytest
from django.contrib.auth.models import Permission

from kb.models import Guide, GuideImage
from tests import factories, pictures
from tests.browser.viewports import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, user):
    page.goto("/zh-hans/admin/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill("pw-not-used-123")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/zh-hans/admin/")


def test_editor_uploads_a_picture_for_a_step_and_the_preview_shows_it(page, screenshot):
    # Permissions by name: an earlier transactional test may have flushed the editorial groups.
    editor = factories.user("picture-editor")
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="kb",
            codename__in=[
                f"{action}_{model}"
                for model in ("guide", "step", "problem", "source", "guideimage")
                for action in ("add", "change", "view")
            ],
        )
    )
    guide = factories.guide(steps=3)
    step = guide.steps.get(position=2)
    _login(page, editor)
    page.goto(f"/zh-hans/admin/kb/guide/{guide.pk}/change/")
    page.locator("#images-group .add-row a").click()
    row = page.locator("#images-group tr.form-row:not(.empty-form)").last
    row.locator("select[name$='-place']").select_option(f"step:{step.pk}")
    row.locator("input[type=file][name$='-upload']").set_input_files(
        {
            "name": "screen.jpg",
            "mimeType": "image/jpeg",
            "buffer": pictures.jpeg_with_gps(800, 400, orientation=1),
        }
    )
    row.locator("input[name$='-alt']").fill("设置页面截图")
    row.locator("input[name$='-caption']").fill("示意图")
    page.locator("input[name=_continue]").first.click()
    page.wait_for_url(re.compile(rf"/admin/kb/guide/{guide.pk}/change/$"))
    assert page.locator(".messagelist .success").count() == 1, page.content()[:2000]

    picture = GuideImage.objects.get(guide=guide)
    assert (picture.step_id, picture.alt) == (step.pk, "设置页面截图")
    thumbnail = page.locator("#images-group img.kb-thumbnail")
    thumbnail.wait_for()
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) == 480
    screenshot(page, "admin-guide-pictures-1280")

    page.set_viewport_size(PHONE)
    page.goto(f"/zh-hans/admin/kb/guide/{guide.pk}/preview/")
    figure = page.locator("#step-2 figure.guide-figure img")
    figure.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=figure.element_handle()
    )
    assert figure.get_attribute("alt") == "设置页面截图"
    assert page.locator("#step-2 figcaption").inner_text() == "示意图"
    box = figure.bounding_box()
    assert box["width"] <= PHONE["width"] and abs(box["height"] * 2 - box["width"]) < 3
    current = page.evaluate("img => img.currentSrc", figure.element_handle())
    assert current.endswith(".webp") and "/media/images/" in current
    screenshot(page, "guide-preview-picture-390")
    assert Guide.objects.get(pk=guide.pk).status == Guide.Status.DRAFT


@pytest.mark.parametrize("size_name", ["phone", "desktop"])
def test_an_illustrated_guide_stays_under_100_kb_without_its_lazy_pictures(
    browser, live_server, size_name, screenshot
):
    from kb.services.demo import load_demo
    from tests.browser.viewports import DESKTOP

    load_demo()
    guide = Guide.objects.published().get(slug="t-mobile-activate-esim", language="zh-hans")
    viewport = PHONE if size_name == "phone" else DESKTOP
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    transferred = {}

    def count(response):
        sizes = response.request.sizes()
        transferred[response.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    page.on("requestfinished", lambda request: count(request.response()))
    try:
        page.goto(guide.get_absolute_url(), wait_until="networkidle")
        eager = page.evaluate(
            "() => [...document.querySelectorAll('figure img:not([loading=lazy])')]"
            ".map(img => img.currentSrc)"
        )
        lazy = page.evaluate(
            "() => [...document.querySelectorAll('figure img[loading=lazy]')]"
            ".map(img => img.currentSrc).filter(Boolean)"
        )
        screenshot(page, f"guide-with-pictures-{size_name}")
    finally:
        context.close()
    # risks and "before you start" come first, so no step picture is on the first screen
    assert eager == []
    first_view = {url: n for url, n in transferred.items() if url not in lazy}
    print(size_name, {url.rsplit("/", 1)[-1]: n for url, n in first_view.items()})
    print(size_name, "first view", sum(first_view.values()), "lazy", len(lazy))
    assert sum(first_view.values()) < 100 * 1024, first_view
