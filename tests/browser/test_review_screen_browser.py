"""The review screen in Chromium: live and proposed side by side on a laptop, stacked on a phone,
no serious accessibility violations, and the reviewer publishes from it."""

import pytest

from kb.models import Guide, Step
from kb.services import workflow
from tests import factories
from tests.browser.staff import log_in as _log_in
from tests.browser.staff import staff as _staff
from tests.browser.test_moderation_loop_browser import (
    EDITOR_PERMISSIONS,
    REVIEWER_PERMISSIONS,
)
from tests.browser.viewports import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture
def pending_change(settings):
    settings.KB_ALLOW_SELF_PUBLISH = False
    editor = _staff("editor", EDITOR_PERMISSIONS)
    reviewer = _staff("reviewer", REVIEWER_PERMISSIONS)
    first_reviewer = _staff("reviewer0", REVIEWER_PERMISSIONS)
    guide = factories.guide(title="T-Mobile 注销预付费号码", steps=4, updated_by=editor)
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=guide, user=editor), user=first_reviewer
    )
    copy = workflow.guide_start_change(guide=live, user=editor)
    Step.objects.filter(guide=copy, position=2).update(body="做第 2 件事：先关闭漫游，再重启手机。")
    Step.objects.filter(guide=copy, position=3).delete()
    Step.objects.filter(guide=copy, position=4).update(position=3)
    Step.objects.create(guide=copy, position=4, title="确认注销", body="等待确认短信。")
    copy.summary = "在国外注销 T-Mobile 预付费号码，不必打电话。"
    copy.save()
    workflow.guide_record_edit(guide=copy, user=editor, changed=["summary"])
    return live, workflow.guide_submit(guide=copy, user=editor), reviewer


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_reviewer_compares_side_by_side_and_publishes(
    page, pending_change, screenshot, axe_violations
):
    live, copy, reviewer = pending_change
    _log_in(page, reviewer)
    page.goto(f"/zh-hans/admin/kb/guide/{copy.pk}/change/")
    page.locator("#kb-workflow [data-kb-link=review]").click()
    page.wait_for_url(f"**/admin/kb/guide/{copy.pk}/review/")

    changed = '.kb-review-row[data-field="summary"]'
    old, new = (
        _box(page, f"{changed} .kb-review-live"),
        _box(page, f"{changed} .kb-review-proposed"),
    )
    assert abs(old["y"] - new["y"]) < 2 and new["x"] > old["x"] + old["width"] - 1
    assert page.locator("[data-kind=step][data-status=removed]").count() == 1
    assert page.locator("[data-kind=step][data-status=added]").count() == 1
    assert page.locator("[data-kind=step][data-status=changed] ins").first.inner_text() == (
        "：先关闭漫游，再重启手机"
    )
    screenshot(page, "review-screen-1280")
    assert axe_violations(page) == []

    page.set_viewport_size(PHONE_390)
    page.reload()
    old, new = (
        _box(page, f"{changed} .kb-review-live"),
        _box(page, f"{changed} .kb-review-proposed"),
    )
    assert new["y"] >= old["y"] + old["height"] - 1 and abs(new["x"] - old["x"]) < 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    screenshot(page, "review-screen-390")
    assert axe_violations(page) == []

    page.set_viewport_size(DESKTOP)
    page.goto(f"/zh-hans/admin/kb/guide/{copy.pk}/history/revisions/?current=1")
    old, new = (
        _box(page, f"{changed} .kb-review-live"),
        _box(page, f"{changed} .kb-review-proposed"),
    )
    assert abs(old["y"] - new["y"]) < 2 and new["x"] > old["x"]
    screenshot(page, "revisions-compare-pending-1280")
    assert axe_violations(page) == []
    page.locator("a[href$='/review/']").click()
    page.locator("#id_note-publish").fill("第 2 步先关闭漫游")
    page.locator("[data-kb-action=publish]").click()
    page.wait_for_url(f"**/admin/kb/guide/{live.pk}/change/")
    live.refresh_from_db()
    assert live.summary == "在国外注销 T-Mobile 预付费号码，不必打电话。"
    assert not Guide.objects.filter(pk=copy.pk).exists()
