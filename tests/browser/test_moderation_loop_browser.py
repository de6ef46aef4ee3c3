"""The whole moderation loop in Chromium with exactly two staff accounts: the editor writes and
submits a guide, the reviewer publishes it, a reader reports a step, the editor accepts the
report, the reviewer publishes the change, and the reader's status page says published with the
editor's note."""

import re

import pytest
from django.contrib.auth.models import User

from kb.models import Correction, Guide
from tests import factories
from tests.browser.staff import log_in as _log_in
from tests.browser.staff import staff as _staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITOR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("guide", "step", "problem", "source")
    for action in ("add", "change", "view")
] + [
    "view_guiderevision",
    "view_guideevent",
    "verify_guide",
    "view_correction",
    "triage_correction",
    "accept_correction",
    "view_correctionevent",
]
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_guide", "delete_step", "delete_problem"]


def _click_action(page, name):
    page.locator(f"[data-kb-action={name}]").click()
    page.wait_for_load_state()


@pytest.fixture
def catalogue(settings):
    settings.KB_CORRECTION_MIN_SECONDS = 0
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.KB_ALLOW_SELF_PUBLISH = False
    carrier = factories.carrier()
    return carrier, factories.task()


def test_two_people_close_the_loop_from_a_new_guide_to_a_published_correction(
    page, browser, live_server, catalogue, screenshot
):
    carrier, task = catalogue
    editor = _staff("editor", EDITOR_PERMISSIONS)
    reviewer = _staff("reviewer", REVIEWER_PERMISSIONS)
    assert User.objects.filter(is_staff=True).count() == 2

    # The editor writes a guide and submits it.
    _log_in(page, editor)
    page.goto("/zh-hans/admin/kb/guide/add/")
    page.locator("#id_title").fill("T-Mobile 注销预付费号码")
    page.locator("#id_slug").fill("t-mobile-cancel-loop")
    page.locator("#id_carrier").select_option(str(carrier.pk))
    page.locator("#id_country").select_option(str(carrier.country_id))
    page.locator("#id_task").select_option(str(task.pk))
    page.locator("#id_summary").fill("在国外注销 T-Mobile 预付费号码。")
    page.locator("#id_steps-0-title").fill("登录账户")
    page.locator("#id_steps-0-body").fill("打开 T-Mobile App 并登录。")
    page.locator("input[name=_continue]").first.click()
    page.wait_for_url(re.compile(r"/admin/kb/guide/\d+/change/"))
    guide = Guide.objects.get(slug="t-mobile-cancel-loop")
    _click_action(page, "submit")
    guide.refresh_from_db()
    assert guide.status == Guide.Status.IN_REVIEW

    # The reviewer publishes it.
    _log_in(page, reviewer)
    page.goto(f"/zh-hans/admin/kb/guide/{guide.pk}/change/")
    _click_action(page, "publish")
    guide.refresh_from_db()
    assert guide.status == Guide.Status.PUBLISHED

    # A reader reports the step.
    reader = browser.new_context(base_url=live_server.url, locale="zh-CN")
    reader_page = reader.new_page()
    reader_page.goto(guide.get_absolute_url())
    reader_page.locator("#step-1 a[href$='/steps/1/correction/']").click()
    reader_page.locator("input[name=kind][value=outdated]").check()
    reader_page.locator("textarea[name=proposed_text]").fill("打开 T-Mobile App，用账户 PIN 登录。")
    reader_page.locator("#correction-form [type=submit]").click()
    reader_page.wait_for_url(re.compile(r"/corrections/[A-Z0-9]{8}/thanks/$"))
    correction = Correction.objects.get()

    # The editor accepts it, with a note for the reader.
    _log_in(page, editor)
    page.goto(f"/zh-hans/admin/kb/correction/{correction.pk}/change/")
    page.locator("form[action$='/decide/accept/'] input[name=note]").fill(
        "谢谢！已按您的说明更新。"
    )
    _click_action(page, "accept")
    copy = Guide.objects.get(draft_of=guide)
    assert copy.status == Guide.Status.IN_REVIEW
    assert page.url.endswith(f"/admin/kb/guide/{copy.pk}/change/")

    # The reviewer publishes the change.
    _log_in(page, reviewer)
    page.goto(f"/zh-hans/admin/kb/guide/{copy.pk}/change/")
    screenshot(page, "loop-reviewer-pending-change")
    _click_action(page, "publish")
    assert guide.steps.get().body == "打开 T-Mobile App，用账户 PIN 登录。"

    # The reader's status page says published and shows the editor's note.
    reader_page.goto(correction.get_absolute_url())
    assert reader_page.locator(".correction-state").get_attribute("data-state") == "accepted"
    assert "发布" in reader_page.locator(".correction-status").inner_text()
    assert reader_page.locator("#correction-note").inner_text() == "谢谢！已按您的说明更新。"
    correction.refresh_from_db()
    assert correction.status == Correction.Status.PUBLISHED
    reader.close()
