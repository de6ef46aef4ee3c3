"""The guide admin in Chromium at 1280 px and on a 390 px phone: steps reordered by dragging and
with the keyboard, lists that fit, buttons that neither repeat nor overlap."""

import re

import pytest

from kb.models import Guide
from kb.services import workflow
from tests import factories
from tests.browser.staff import log_in, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
EDITOR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("guide", "step", "problem", "source", "guideimage")
    for action in ("add", "change", "view")
] + ["view_guideevent", "view_guiderevision", "verify_guide"]


def _staff(username, *extra):
    return staff(username, [*EDITOR_PERMISSIONS, *extra])


def _step_titles_on_page(page):
    return page.locator("#steps-group .inline-related.has_original").evaluate_all(
        "rows => rows.map(r => r.dataset.kbName)"
    )


def _published(editor, reviewer, **kwargs):
    guide = factories.guide(updated_by=editor, **kwargs)
    guide = workflow.guide_submit(guide=guide, user=editor)
    return workflow.guide_publish(guide=guide, user=reviewer)


def _no_overlap(a, b):
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_steps_are_reordered_by_dragging_and_by_keyboard_and_the_order_is_saved(
    page, screenshot, axe_violations
):
    editor = _staff("order-editor")
    guide = factories.guide(steps=3, updated_by=editor)
    log_in(page, editor)
    # Tall enough that the first and third step headings are on screen together.
    page.set_viewport_size({"width": 1280, "height": 3200})
    page.goto(f"/zh-hans/admin/kb/guide/{guide.pk}/change/")
    page.wait_for_load_state("load")
    rows = page.locator("#steps-group .inline-related.has_original")

    # Drag the third step by its heading onto the first.
    rows.nth(2).locator("h3").drag_to(rows.nth(0).locator("h3"))
    assert _step_titles_on_page(page) == ["第 3 步", "第 1 步", "第 2 步"]
    positions = page.locator("#steps-group input._reorder_").evaluate_all(
        "inputs => inputs.slice(0, 3).map(i => i.value)"
    )
    assert positions == ["1", "2", "3"]

    # Keyboard: Tab to "Move down" of the step now first, press Enter; focus stays on it.
    down = rows.nth(0).locator("[data-kb-move=down]")
    down.focus()
    page.keyboard.press("Enter")
    assert _step_titles_on_page(page) == ["第 1 步", "第 3 步", "第 2 步"]
    assert page.evaluate("() => document.activeElement.dataset.kbMove") == "down"
    assert page.evaluate(
        "() => document.activeElement.closest('.inline-related').dataset.kbName"
    ) == ("第 3 步")
    status = page.locator("#steps-group [data-kb-reorder-status]")
    assert "第 3 步" in status.text_content() and "2" in status.text_content()
    # Space on "Move up" of the last one, as a keyboard user would.
    rows.nth(2).locator("[data-kb-move=up]").focus()
    page.keyboard.press(" ")
    assert _step_titles_on_page(page) == ["第 1 步", "第 2 步", "第 3 步"]
    numbers = page.locator("#steps-group [data-kb-number]").evaluate_all(
        "spans => spans.slice(0, 3).map(s => s.textContent)"
    )
    assert numbers == ["1", "2", "3"]
    # And the other way again, so the saved order is not the original one.
    rows.nth(1).locator("[data-kb-move=down]").focus()
    page.keyboard.press("Enter")
    assert _step_titles_on_page(page) == ["第 1 步", "第 3 步", "第 2 步"]
    screenshot(page, "admin-steps-reordered-1280")
    assert axe_violations(page) == []

    page.locator("input[name=_continue]").first.click()
    page.wait_for_url(re.compile(rf"/admin/kb/guide/{guide.pk}/change/$"))
    assert page.locator(".messagelist .success").count() >= 1, page.content()[:3000]
    assert list(guide.steps.order_by("position").values_list("title", flat=True)) == [
        "第 1 步",
        "第 3 步",
        "第 2 步",
    ]
    assert _step_titles_on_page(page) == ["第 1 步", "第 3 步", "第 2 步"]


def test_the_guide_list_keeps_the_title_readable_at_1280_and_fits_a_390_phone(
    page, screenshot, axe_violations
):
    editor = _staff("list-editor")
    for n in range(6):
        factories.guide(
            steps=1,
            problems=0,
            title=f"在海外用 App 注销预付费号码并取回余额的完整步骤（第 {n} 篇）",
        )
    log_in(page, editor)
    page.set_viewport_size(WIDE)
    page.goto("/zh-hans/admin/kb/guide/")
    width = page.locator("#result_list th.column-title_label").bounding_box()["width"]
    assert width >= 250, width
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= WIDE["width"]
    screenshot(page, "admin-guide-list-1280")
    assert axe_violations(page) == []

    page.set_viewport_size(PHONE_390)
    page.goto("/zh-hans/admin/kb/guide/")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE_390["width"]
    screenshot(page, "admin-guide-list-390")
    assert axe_violations(page) == []


def test_the_event_list_fits_a_390_phone(page, screenshot, axe_violations):
    editor, reviewer = _staff("event-editor"), _staff("event-reviewer", "publish_guide")
    _published(editor, reviewer, title="在海外注销号码：一篇标题很长、需要在手机上也能读的指南")
    log_in(page, editor)
    for viewport, name in ((WIDE, "1280"), (PHONE_390, "390")):
        page.set_viewport_size(viewport)
        page.goto("/zh-hans/admin/kb/guideevent/")
        assert page.locator("#result_list tbody tr").count() >= 2
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"admin-event-list-{name}")
        assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [WIDE, PHONE_390], ids=["1280", "390"])
def test_object_tools_never_cover_the_workflow_box(page, screenshot, axe_violations, viewport):
    editor, reviewer = _staff("tools-editor"), _staff("tools-reviewer", "publish_guide")
    draft = factories.guide(updated_by=editor)
    live = _published(editor, reviewer)
    log_in(page, reviewer)
    page.set_viewport_size(viewport)
    for guide, name in ((draft, "draft"), (live, "published")):
        page.goto(f"/zh-hans/admin/kb/guide/{guide.pk}/change/")
        tools = page.locator("#content-main .object-tools").bounding_box()
        box = page.locator("#kb-workflow").bounding_box()
        assert _no_overlap(tools, box), (tools, box)
        for link in page.locator("#content-main .object-tools a").all():
            assert _no_overlap(link.bounding_box(), box)
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"admin-guide-{name}-{viewport['width']}")
        assert axe_violations(page) == []


def test_view_on_site_opens_the_preview_of_a_draft_and_appears_once(page, axe_violations):
    editor, reviewer = _staff("site-editor"), _staff("site-reviewer", "publish_guide")
    draft = factories.guide(updated_by=editor)
    live = _published(editor, reviewer)
    log_in(page, editor)

    page.goto(f"/zh-hans/admin/kb/guide/{draft.pk}/change/")
    links = page.locator("a.viewsitelink")
    assert links.count() == 1
    with page.expect_navigation() as navigation:
        links.first.click()
    assert navigation.value.status == 200
    assert page.url.endswith(f"/admin/kb/guide/{draft.pk}/preview/")

    page.goto(f"/zh-hans/admin/kb/guide/{live.pk}/change/")
    assert page.locator("a.viewsitelink").count() == 1
    assert page.get_by_role("link", name=re.compile("在网站上查看|View on site")).count() == 1
    assert page.locator("a.viewsitelink").get_attribute("href") == live.get_absolute_url()
    assert Guide.objects.filter(status=Guide.Status.PUBLISHED).count() == 1
    assert axe_violations(page) == []
