"""Under the site's strict Content-Security-Policy, Chromium blocks nothing: the admin (as an
editor and as a reviewer) and the public pages load with no violation and no console error, and
their scripts run (an inline "add another step" row appears, a correction form follows the
chosen step)."""

import pytest

from kb.services import corrections
from tests import factories, public_data
from tests.browser.staff import log_in as _log_in
from tests.browser.staff import staff as _staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITOR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("guide", "step", "problem", "source")
    for action in ("add", "change", "view")
] + ["view_guiderevision", "view_guideevent", "view_correction", "triage_correction"]
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_guide", "accept_correction", "delete_step"]

# Runs before any page script; the page's own policy does not apply to it.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, and the list of what its console and its policy reported."""
    reported = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda msg: (
            reported.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: reported.append(f"page error: {error}"))
    return page, reported


def _visit(page, reported, path, *, shot=None, screenshot=None):
    response = page.goto(path)
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    check(page, reported, path)
    if shot:
        screenshot(page, f"csp-{shot}")


def check(page, reported, where):
    reported += [f"{where}: {violation}" for violation in page.evaluate("window.__csp || []")]
    page.evaluate("window.__csp = []")


@pytest.fixture
def content(settings):
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    guide, _en = public_data.published_pair()
    draft = factories.guide(title="草稿指南", slug="csp-draft", task_obj=factories.task("renew"))
    correction = corrections.correction_submit(
        guide=guide,
        step=guide.steps.get(position=2),
        kind="outdated",
        proposed_text="新的第二步。",
        language="zh-hans",
    )
    return guide, draft, correction


def test_the_admin_runs_under_the_policy_for_an_editor_and_a_reviewer(watched, content, screenshot):
    page, reported = watched
    guide, draft, correction = content
    editor = _staff("csp-editor", EDITOR_PERMISSIONS)
    reviewer = _staff("csp-reviewer", REVIEWER_PERMISSIONS)

    page.goto("/zh-hans/admin/login/")
    check(page, reported, "login")
    for user in (editor, reviewer):
        _log_in(page, user)
        name = user.username
        _visit(page, reported, "/zh-hans/admin/", shot=f"{name}-index", screenshot=screenshot)
        _visit(
            page, reported, "/zh-hans/admin/kb/guide/", shot=f"{name}-guides", screenshot=screenshot
        )
        _visit(page, reported, f"/zh-hans/admin/kb/guide/{draft.pk}/change/")
        rows = page.locator("#steps-group .inline-related:not(.empty-form)")
        before = rows.count()
        page.locator("#steps-group .add-row a").click()
        assert rows.count() == before + 1  # inlines.js ran
        check(page, reported, "add another step")
        screenshot(page, f"csp-{name}-guide-change")
        _visit(page, reported, f"/zh-hans/admin/kb/guide/{guide.pk}/change/")
        _visit(
            page,
            reported,
            "/zh-hans/admin/kb/correction/",
            shot=f"{name}-corrections",
            screenshot=screenshot,
        )
        _visit(page, reported, f"/zh-hans/admin/kb/correction/{correction.pk}/change/")
    assert reported == []


def test_the_public_pages_run_under_the_policy(watched, content, screenshot):
    page, reported = watched
    guide, _draft, _correction = content
    _visit(page, reported, "/zh-hans/", shot="home", screenshot=screenshot)
    _visit(page, reported, guide.get_absolute_url(), shot="guide", screenshot=screenshot)
    _visit(page, reported, "/zh-hans/search/?q=T-Mobile+暂停", shot="search", screenshot=screenshot)
    _visit(
        page,
        reported,
        guide.get_correction_url(guide.steps.get(position=2)),
        shot="correction",
        screenshot=screenshot,
    )
    text = page.locator("textarea[name=proposed_text]")
    page.locator("select[name=step]").select_option(str(guide.steps.get(position=3).pk))
    assert text.input_value() == "做第 3 件事。"  # corrections.js ran
    check(page, reported, "correction form")
    assert reported == []
