"""The editorial desk in Chromium: an editor types Markdown into a step and sees it rendered
under the field (also in a step row added on the page), and the admin index shows each person's
work, readable at laptop and phone width."""

import pytest

from kb.services import corrections, workflow
from tests import factories
from tests.browser.staff import log_in as _log_in
from tests.browser.staff import staff as _staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITOR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("guide", "step", "problem", "source")
    for action in ("add", "change", "view")
] + ["view_correction", "triage_correction", "accept_correction", "view_guideevent"]
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_guide"]


def _django_admins_own(violation) -> bool:
    """Django's own widgets, outside this page's code: the autocomplete box and the
    breadcrumbs' links."""
    targets = [str(target) for target in violation["targets"]]
    return all("select2" in target or ".breadcrumbs" in target for target in targets)


@pytest.fixture
def people(settings):
    settings.KB_ALLOW_SELF_PUBLISH = False
    settings.KB_CORRECTION_MIN_SECONDS = 0
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    return _staff("bianji", EDITOR_PERMISSIONS), _staff("shenhe", REVIEWER_PERMISSIONS)


def test_editor_types_markdown_in_a_step_and_sees_the_preview(
    page, people, screenshot, axe_violations
):
    editor, _reviewer = people
    guide = factories.guide(steps=1, problems=0, created_by=editor)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, editor)
    page.goto(f"/zh-hans/admin/kb/guide/{guide.pk}/change/")

    body = page.locator("textarea[name=steps-0-body]")
    box = page.locator(".kb-md", has=body)
    box.locator(".kb-md-toggle").click()
    preview = box.locator(".kb-md-preview")
    body.fill("先**打开**设置，然后拨打 +1 505 998 3793。\n\n<script>window.hacked = 1</script>")
    preview.locator("strong", has_text="打开").wait_for()
    assert preview.locator("a[href='tel:+15059983793']").count() == 1
    assert preview.locator("script").count() == 0
    assert page.evaluate("() => window.hacked") is None
    assert box.locator(".kb-md-toggle").get_attribute("aria-expanded") == "true"
    screenshot(page, "admin-markdown-preview")

    page.locator(".kb-md-toggle[aria-expanded=true]").first.click()
    assert preview.is_hidden()

    # A step row added on the page has its preview too (one listener on the document).
    page.locator("#steps-group .add-row a").click()
    added = page.locator("textarea[name=steps-2-body]")
    added_box = page.locator(".kb-md", has=added)
    added_box.locator(".kb-md-toggle").click()
    added.fill("- 第一\n- 第二")
    added_box.locator(".kb-md-preview li", has_text="第二").wait_for()
    assert errors == []
    assert [v for v in axe_violations(page) if not _django_admins_own(v)] == []


def test_the_desk_shows_each_persons_work_at_laptop_and_phone_width(
    page, people, screenshot, axe_violations
):
    editor, reviewer = people
    for n in range(3):
        guide = factories.guide(task_obj=factories.task(f"desk-{n}", synonyms=""))
        workflow.guide_record_edit(guide=guide, user=editor, changed=["标题"])
        workflow.guide_submit(guide=guide, user=editor)
    back = factories.guide(task_obj=factories.task("desk-back", synonyms=""), title="被退回的指南")
    workflow.guide_record_edit(guide=back, user=editor, changed=["标题"])
    workflow.guide_submit(guide=back, user=editor)
    workflow.guide_reject(guide=back, user=reviewer, reason="第二步的截图过时了，请换一张。")
    live = factories.guide(task_obj=factories.task("desk-live", synonyms=""))
    workflow.guide_record_edit(guide=live, user=editor, changed=["标题"])
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=live, user=editor), user=reviewer
    )
    corrections.correction_submit(
        guide=live,
        step=live.steps.get(position=1),
        kind="outdated",
        proposed_text="新的第一步。",
        language="zh-hans",
    )
    factories.guide(task_obj=factories.task("desk-draft", synonyms=""), created_by=editor)

    _log_in(page, reviewer)
    waiting = page.locator("#kb-desk-waiting")
    assert waiting.locator("li").count() == 3
    assert "查看全部" in waiting.inner_text()
    assert page.locator("#kb-desk-corrections li").count() == 1
    assert "你没有草稿" in page.locator("#kb-desk-drafts").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "admin-desk-reviewer-1280")

    _log_in(page, editor)
    assert page.locator("#kb-desk-waiting").count() == 0
    sent_back = page.locator("#kb-desk-sent_back")
    assert "第二步的截图过时了" in sent_back.inner_text()
    assert page.locator("#kb-desk-drafts li").count() == 1
    screenshot(page, "admin-desk-editor-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    assert axe_violations(page) == []
    screenshot(page, "admin-desk-editor-390")
    sent_back.locator("a", has_text="被退回的指南").click()
    page.wait_for_url(f"**/kb/guide/{back.pk}/change/")
