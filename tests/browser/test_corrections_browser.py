"""A reader reports a wrong step from the step's own link, in Chromium; an editor finds the report
in the admin queue with its character-level diff."""

import re

import pytest
from django.contrib.auth.models import Permission

from kb.models import Correction, Guide
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def guide(settings):
    settings.KB_CORRECTION_MIN_SECONDS = 0
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    return factories.guide(status=Guide.Status.PUBLISHED, steps=3)


def test_reader_reports_a_step_and_an_editor_finds_it_in_the_queue(page, guide, axe_violations):
    # Permissions by name: an earlier transactional test may have flushed the editorial groups.
    editor = factories.user("queue-editor")
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=("view_correction", "triage_correction"))
    )

    page.goto(guide.get_absolute_url())
    page.locator("#step-2 a[href$='/steps/2/correction/']").click()
    page.wait_for_url(re.compile(r"/steps/2/correction/$"))

    step_select = page.locator("select[name=step]")
    text_box = page.locator("textarea[name=proposed_text]")
    assert step_select.input_value() == str(guide.steps.get(position=2).pk)
    assert text_box.input_value().strip() == "做第 2 件事。"
    step_select.select_option(str(guide.steps.get(position=3).pk))
    assert text_box.input_value() == "做第 3 件事。"  # untouched text follows the chosen step
    assert page.locator("input[name=website]").is_hidden()
    assert axe_violations(page) == []

    page.locator("input[name=kind][value=outdated]").check()
    text_box.fill("做第 3 件事之前，先在 App 里验证身份。")
    page.locator("#correction-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/corrections/[A-Z0-9]{8}/thanks/$"))

    correction = Correction.objects.get()
    assert correction.status == Correction.Status.RECEIVED
    assert correction.step_position == 3
    assert page.locator("#correction-code").inner_text() == correction.display_code

    page.locator(f"a[href='{correction.get_absolute_url()}']").click()
    page.wait_for_url(f"**{correction.get_absolute_url()}")
    assert page.locator(".correction-state").get_attribute("data-state") == "received"

    page.goto("/zh-hans/admin/login/")
    page.locator("input[name=username]").fill(editor.username)
    page.locator("input[name=password]").fill("pw-not-used-123")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/zh-hans/admin/")
    page.goto("/zh-hans/admin/kb/correction/?status__in=received,reviewing")
    row_link = page.get_by_role("link", name=correction.display_code)
    assert row_link.is_visible()
    row_link.click()
    page.wait_for_url(re.compile(r"/admin/kb/correction/\d+/change/"))
    assert (
        page.locator("#kb-proposed-text").inner_text() == "做第 3 件事之前，先在 App 里验证身份。"
    )
    assert page.locator("#kb-diff ins").first.inner_text()
    assert page.locator("form[action$='/decide/reject/']").is_visible()
