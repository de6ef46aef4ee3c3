"""The review queue in admin: list, filters, change page with the diff, decisions, bulk actions,
dashboard rows, and hostile text escaped everywhere."""

from datetime import timedelta

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone, translation

from kb.models import Correction, Guide
from kb.services import corrections
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-hans."""
    with translation.override("en"):
        yield


Status = Correction.Status
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'
LIST_URL = "/en/admin/kb/correction/"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def guide():
    return factories.guide(status=Guide.Status.PUBLISHED, steps=3)


def submit(guide, position=2, text="改成：在 App 里点“暂停”。", **kwargs):
    step = guide.steps.get(position=position) if position else None
    defaults = {"kind": "wrong", "language": "zh-hans", "client_hash": "b" * 64}
    defaults.update(kwargs)
    return corrections.correction_submit(guide=guide, step=step, proposed_text=text, **defaults)


def change_url(correction):
    return reverse("admin:kb_correction_change", args=[correction.pk])


def decide_url(correction, name):
    return reverse("admin:kb_correction_decide", args=[correction.pk, name])


@pytest.fixture
def editor_client(client):
    client.force_login(factories.editor())
    return client


@pytest.fixture
def reviewer_client(client):
    client.force_login(factories.reviewer())
    return client


# --- the list -------------------------------------------------------------------------------
def test_queue_lists_oldest_first_without_emails(editor_client, guide):
    newer = submit(guide, text="较新的报告", email="newer@example.com")
    older = submit(guide, text="较旧的报告", email="older@example.com")
    Correction.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    response = editor_client.get(LIST_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(older.display_code) < html.index(newer.display_code)
    assert "@example.com" not in html


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=received",
        "status__in=received,reviewing",
        "kind__exact=wrong",
        "flagged=unchecked",
        "age=day",
        "age=week",
        "age=older",
        "age=month",
        "language__exact=en",
    ],
)
def test_queue_filters(editor_client, guide, query):
    submit(guide)
    assert editor_client.get(f"{LIST_URL}?{query}").status_code == 200


def test_queue_filters_by_carrier_and_guide(editor_client, guide):
    correction = submit(guide)
    other_carrier = factories.carrier("att", name="AT&T", aliases="")
    other_guide = factories.guide(status=Guide.Status.PUBLISHED, carrier_obj=other_carrier)
    other = submit(other_guide, text="另一家运营商")
    html = editor_client.get(
        f"{LIST_URL}?guide__carrier__id__exact={guide.carrier_id}"
    ).content.decode()
    assert correction.display_code in html and other.display_code not in html
    html = editor_client.get(f"{LIST_URL}?guide__id__exact={other_guide.pk}").content.decode()
    assert other.display_code in html and correction.display_code not in html


def test_age_filter_picks_old_reports(editor_client, guide):
    fresh, old = submit(guide, text="新"), submit(guide, text="旧")
    Correction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    html = editor_client.get(f"{LIST_URL}?age=month").content.decode()
    assert old.display_code in html and fresh.display_code not in html


def test_hostile_text_is_escaped_in_the_list_and_change_pages(editor_client, guide):
    correction = submit(guide, text=HOSTILE, kind="other")
    Correction.objects.filter(pk=correction.pk).update(
        evidence_url="javascript:alert(3)", step_title=HOSTILE, decision_note=HOSTILE
    )
    for url in (LIST_URL, change_url(correction)):
        html = editor_client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url
        assert 'href="javascript:' not in html, url


def test_users_without_permission_get_no_queue(client, guide):
    correction = submit(guide)
    client.force_login(factories.user())
    assert client.get(LIST_URL).status_code == 403
    assert client.get(change_url(correction)).status_code == 403
    assert client.post(decide_url(correction, "spam")).status_code == 403


# --- the change page ------------------------------------------------------------------------
def test_change_page_shows_the_step_side_by_side_with_a_character_diff(editor_client, guide):
    correction = submit(
        guide,
        text="做第二件事。",
        evidence_url="https://carrier.example/news",
        tried_on="2025-03-01",
        plan_type="prepaid",
        email="private@example.com",
    )
    response = editor_client.get(change_url(correction))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="kb-current-text">做第 2 件事。</div>' in html
    assert 'id="kb-proposed-text">做第二件事。</div>' in html
    assert '<del class="diff-del">' in html and '<ins class="diff-ins">二</ins>' in html
    assert 'href="https://carrier.example/news"' in html
    assert "2025-03-01" in html
    assert "Prepaid (pay as you go)" in html
    assert "Not yet verified" in html
    assert "private@example.com" not in html


def test_change_page_lists_other_reports_about_the_step_and_from_the_sender(editor_client, guide):
    correction = submit(guide)
    same_step = submit(guide, text="同一步的另一个报告", client_hash="c" * 64)
    other_step_same_sender = submit(guide, position=3, text="同一个人，第三步")
    unrelated = submit(guide, position=1, text="别人，第一步", client_hash="d" * 64)
    html = editor_client.get(change_url(correction)).content.decode()
    related = html[html.index("kb-correction-related") :]
    assert same_step.display_code in related
    assert other_step_same_sender.display_code in related
    assert unrelated.display_code not in related


def test_change_page_shows_the_spam_reasons(editor_client, guide):
    correction = submit(guide, text="TG💪+ @esim1088 https://t.me/s/esim1088")
    html = editor_client.get(change_url(correction)).content.decode()
    assert "Link to a messenger account or group" in html
    assert "t.me/s/esim1088" in html
    assert decide_url(correction, "rescue") in html


def test_editors_see_triage_and_accept_buttons(editor_client, guide):
    correction = submit(guide)
    html = editor_client.get(change_url(correction)).content.decode()
    for name in ("review", "accept", "reject", "duplicate", "spam"):
        assert decide_url(correction, name) in html


def test_reviewers_see_the_accept_form_prefilled(reviewer_client, guide):
    correction = submit(guide)
    html = reviewer_client.get(change_url(correction)).content.decode()
    assert decide_url(correction, "accept") in html
    assert "改成：在 App 里点“暂停”。</textarea>" in html


# --- decisions through the admin ------------------------------------------------------------
def test_accept_from_the_admin_opens_the_pending_change(reviewer_client, guide):
    correction = submit(guide)
    response = reviewer_client.post(
        decide_url(correction, "accept"), {"text": "审稿人改进的文字", "submit": "on", "note": ""}
    )
    copy = guide.pending_versions.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:kb_guide_change", args=[copy.pk])
    assert copy.steps.get(position=2).body == "审稿人改进的文字"
    correction.refresh_from_db()
    assert correction.status == Status.ACCEPTED
    html = reviewer_client.get(change_url(correction)).content.decode()
    assert reverse("admin:kb_guide_change", args=[copy.pk]) in html


def test_staff_without_the_accept_permission_posting_accept_is_refused(client, guide):
    from django.contrib.auth.models import Permission

    triager = factories.user()
    triager.user_permissions.add(
        *Permission.objects.filter(codename__in=("view_correction", "triage_correction"))
    )
    client.force_login(triager)
    correction = submit(guide)
    response = client.post(decide_url(correction, "accept"), {"text": "x", "submit": "on"})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED
    assert not guide.pending_versions.exists()


def test_reject_from_the_admin_shows_on_the_status_page(editor_client, client, guide):
    correction = submit(guide)
    editor_client.post(
        decide_url(correction, "reject"), {"reason": "incorrect", "note": "客服确认旧流程仍有效。"}
    )
    correction.refresh_from_db()
    assert correction.status == Status.REJECTED
    html = client.get(correction.get_absolute_url()).content.decode()
    assert "客服确认旧流程仍有效。" in html


def test_reject_without_a_reason_is_refused(editor_client, guide):
    correction = submit(guide)
    editor_client.post(decide_url(correction, "reject"), {"reason": "", "note": "x"})
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED


def test_duplicate_from_the_admin_by_reference_code(editor_client, guide):
    original, dup = submit(guide, text="原始"), submit(guide, text="重复")
    editor_client.post(decide_url(dup, "duplicate"), {"original": original.display_code.lower()})
    dup.refresh_from_db()
    assert dup.status == Status.DUPLICATE and dup.duplicate_of == original
    editor_client.post(decide_url(original, "duplicate"), {"original": "ZZZZ-ZZZZ"})
    original.refresh_from_db()
    assert original.status == Status.RECEIVED


def test_review_spam_and_rescue_from_the_admin(editor_client, guide):
    correction = submit(guide)
    editor_client.post(decide_url(correction, "review"))
    correction.refresh_from_db()
    assert correction.status == Status.REVIEWING
    editor_client.post(decide_url(correction, "spam"), {"note": "广告"})
    correction.refresh_from_db()
    assert correction.status == Status.SPAM and correction.decided_at
    editor_client.post(decide_url(correction, "rescue"))
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED


def test_decisions_are_post_only(editor_client, guide):
    correction = submit(guide)
    assert editor_client.get(decide_url(correction, "spam")).status_code == 404
    assert editor_client.post(decide_url(correction, "explode")).status_code == 404


# --- bulk actions ---------------------------------------------------------------------------
def test_bulk_reject_asks_for_a_reason_then_rejects(editor_client, guide):
    selected = [submit(guide, text=f"报告 {n}") for n in range(3)]
    ids = [str(c.pk) for c in selected]
    response = editor_client.post(
        LIST_URL, {"action": "bulk_reject", helpers.ACTION_CHECKBOX_NAME: ids, "index": "0"}
    )
    assert response.status_code == 200
    assert "Reject corrections" in response.content.decode()
    response = editor_client.post(
        LIST_URL,
        {
            "action": "bulk_reject",
            helpers.ACTION_CHECKBOX_NAME: ids,
            "index": "0",
            "apply": "1",
            "reason": "out_of_scope",
            "note": "不在本指南范围内",
        },
    )
    assert response.status_code == 302
    assert set(Correction.objects.values_list("status", "reject_reason")) == {
        ("rejected", "out_of_scope")
    }


def test_bulk_spam_marks_and_reports_what_it_could_not(editor_client, guide):
    open_one = submit(guide, text="垃圾 1")
    closed = submit(guide, text="已拒绝")
    corrections.correction_reject(correction=closed, user=factories.editor(), reason="unclear")
    response = editor_client.post(
        LIST_URL,
        {
            "action": "bulk_spam",
            helpers.ACTION_CHECKBOX_NAME: [open_one.pk, closed.pk],
            "index": "0",
        },
        follow=True,
    )
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.status == Status.SPAM and closed.status == Status.REJECTED
    assert closed.display_code in response.content.decode()


def test_bulk_actions_need_the_triage_permission(client, guide):
    viewer = factories.user()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_correction"))
    client.force_login(viewer)
    correction = submit(guide)
    html = client.get(LIST_URL).content.decode()
    assert "bulk_spam" not in html
    client.post(
        LIST_URL,
        {"action": "bulk_spam", helpers.ACTION_CHECKBOX_NAME: [correction.pk], "index": "0"},
    )
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED


# --- the dashboard --------------------------------------------------------------------------
def test_dashboard_counts_waiting_and_flagged_corrections(editor_client, guide):
    submit(guide)
    reviewing = submit(guide, text="审核中")
    corrections.correction_start_review(correction=reviewing, user=factories.editor())
    submit(guide, text="TG💪+ @esim1088")
    html = editor_client.get("/en/admin/").content.decode()
    assert "Reader corrections waiting" in html
    assert f'href="{LIST_URL}?status__in=received,reviewing"' in html
    waiting = html[html.index("Reader corrections waiting") :]
    assert "<strong>2</strong>" in waiting.split("</tr>")[0]
    flagged = html[html.index("Corrections flagged as spam") :]
    assert "<strong>1</strong>" in flagged.split("</tr>")[0]


def test_search_finds_a_report_by_its_code_as_the_reader_writes_it(editor_client, guide):
    wanted, other = submit(guide, text="要找的"), submit(guide, text="别的")
    html = editor_client.get(f"{LIST_URL}?q={wanted.display_code.lower()}").content.decode()
    assert wanted.display_code in html and other.display_code not in html
