"""Decisions on corrections: permissions, transitions, audit records, publishing and the email."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import translation

from kb.models import Correction, CorrectionEvent, Guide, GuideRevision
from kb.services import corrections, workflow
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-hans."""
    with translation.override("en"):
        yield


Status = Correction.Status
Action = CorrectionEvent.Action


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.KB_ALLOW_SELF_PUBLISH = False
    settings.KB_SITE_URL = "https://guides.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def guide():
    return factories.guide(status=Guide.Status.PUBLISHED, steps=3)


def submit(guide, position=2, text="新的第二步：在 App 里点“暂停”。", **kwargs):
    step = guide.steps.get(position=position) if position else None
    defaults = {"kind": "outdated", "language": "zh-hans", "client_hash": "a" * 64}
    defaults.update(kwargs)
    return corrections.correction_submit(guide=guide, step=step, proposed_text=text, **defaults)


def actions(correction):
    return list(correction.events.values_list("action", flat=True))


# --- submit ---------------------------------------------------------------------------------
def test_submit_records_the_step_as_the_reader_saw_it(guide):
    correction = submit(guide)
    assert correction.status == Status.RECEIVED
    assert (correction.step_position, correction.step_title) == (2, "第 2 步")
    assert correction.current_text == "做第 2 件事。"
    assert len(correction.code) == 8 and correction.code.isupper()
    assert actions(correction) == [Action.SUBMITTED]


def test_submit_refuses_unpublished_guides_and_foreign_steps(guide):
    draft = factories.guide(status=Guide.Status.DRAFT)
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_submit(
            guide=draft, step=None, kind="other", proposed_text="x", language="zh-hans"
        )
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_submit(
            guide=guide,
            step=draft.steps.first(),
            kind="wrong",
            proposed_text="x",
            language="zh-hans",
        )
    assert not Correction.objects.exists()


def test_spam_is_stored_with_its_reasons(guide):
    correction = submit(
        guide, text="加我微信 esim1088 代办注销", flags=[{"rule": "too_fast", "match": "0.4s"}]
    )
    assert correction.status == Status.SPAM
    assert {"too_fast", "messenger_handle", "contact_offer"} <= {
        r["rule"] for r in correction.spam_reasons
    }
    assert actions(correction) == [Action.SUBMITTED, Action.FLAGGED]


def test_a_post_over_the_rate_limit_is_stored_as_limited_spam(guide, settings):
    settings.KB_CORRECTION_RATE = "1/h"
    assert submit(guide).status == Status.RECEIVED
    limited = submit(guide, text="另一段")
    assert limited.status == Status.SPAM
    assert limited.spam_reasons == [{"rule": "rate_limited", "match": "sender"}]
    assert Correction.objects.count() == 2


# --- permissions ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("service", "kwargs"),
    [
        (corrections.correction_start_review, {}),
        (corrections.correction_reject, {"reason": "incorrect"}),
        (corrections.correction_mark_spam, {}),
        (corrections.correction_accept, {}),
    ],
)
def test_users_without_permission_cannot_decide(guide, service, kwargs):
    correction = submit(guide)
    staff_without_groups = factories.user()
    for user in (AnonymousUser(), staff_without_groups, None):
        with pytest.raises(PermissionDenied):
            service(correction=correction, user=user, **kwargs)
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED


def test_editors_triage_and_reject(guide):
    editor = factories.editor()
    correction = submit(guide)
    corrections.correction_start_review(correction=correction, user=editor)
    corrections.correction_reject(
        correction=correction, user=editor, reason="unclear", note="哪一步？"
    )
    correction.refresh_from_db()
    assert correction.status == Status.REJECTED
    assert correction.decided_by == editor


# --- accept ---------------------------------------------------------------------------------
def test_accept_opens_a_pending_change_with_the_text_applied(guide):
    reviewer = factories.reviewer()
    correction = submit(guide)
    copy = corrections.correction_accept(correction=correction, user=reviewer)
    correction.refresh_from_db()
    assert copy.draft_of_id == guide.pk
    assert copy.status == Guide.Status.IN_REVIEW
    assert copy.steps.get(position=2).body == "新的第二步：在 App 里点“暂停”。"
    assert copy.steps.get(position=1).body == "做第 1 件事。"
    assert guide.steps.get(position=2).body == "做第 2 件事。"  # readers still see the live text
    assert correction.status == Status.ACCEPTED
    assert correction.pending_change_ref == copy.pk
    assert corrections.pending_change_of(correction) == copy
    assert actions(correction)[-1] == Action.ACCEPTED


def test_accept_with_the_reviewers_improvement_and_without_submitting(guide):
    correction = submit(guide)
    copy = corrections.correction_accept(
        correction=correction, user=factories.reviewer(), text="改进后的文字", submit=False
    )
    assert copy.status == Guide.Status.DRAFT
    assert copy.steps.get(position=2).body == "改进后的文字"
    assert "改进后的文字" in correction.events.get(action=Action.ACCEPTED).note


def test_two_accepted_corrections_share_the_pending_change(guide):
    reviewer = factories.reviewer()
    first, second = (
        submit(guide, position=1, text="第一步新"),
        submit(guide, position=3, text="第三步新"),
    )
    copy1 = corrections.correction_accept(correction=first, user=reviewer, submit=False)
    copy2 = corrections.correction_accept(correction=second, user=reviewer, submit=False)
    assert copy1.pk == copy2.pk
    assert [s.body for s in copy2.steps.order_by("position")] == [
        "第一步新",
        "做第 2 件事。",
        "第三步新",
    ]


def test_a_missing_step_is_inserted_after_the_chosen_one(guide):
    correction = submit(guide, position=1, kind="missing", text="先登录账户\n再打开设置。")
    copy = corrections.correction_accept(
        correction=correction, user=factories.reviewer(), submit=False
    )
    steps = list(copy.steps.order_by("position").values_list("position", "title", "body"))
    assert [s[0] for s in steps] == [1, 2, 3, 4]
    assert steps[1][1:] == ("先登录账户", "先登录账户\n再打开设置。")
    assert steps[2][2] == "做第 2 件事。"


def test_a_report_about_the_whole_guide_is_applied_by_hand(guide):
    correction = submit(guide, position=None, kind="other", text="整篇都过时了")
    copy = corrections.correction_accept(
        correction=correction, user=factories.reviewer(), submit=False
    )
    assert [s.body for s in copy.steps.order_by("position")] == [
        f"做第 {n} 件事。" for n in (1, 2, 3)
    ]
    assert "by hand" in correction.events.get(action=Action.ACCEPTED).note


def test_accept_refuses_while_the_pending_change_is_in_review(guide):
    editor, reviewer = factories.editor(), factories.reviewer()
    copy = workflow.guide_start_change(guide=guide, user=editor)
    workflow.guide_submit(guide=copy, user=editor)
    correction = submit(guide)
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_accept(correction=correction, user=reviewer)
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED


def test_an_accepted_correction_whose_change_was_discarded_can_be_accepted_again(guide):
    reviewer = factories.reviewer()
    correction = submit(guide)
    copy = corrections.correction_accept(correction=correction, user=reviewer, submit=False)
    workflow.guide_discard_change(guide=copy, user=reviewer)
    correction.refresh_from_db()
    assert corrections.pending_change_of(correction) is None
    again = corrections.correction_accept(correction=correction, user=reviewer, submit=False)
    assert again.steps.get(position=2).body.startswith("新的第二步")


@pytest.mark.parametrize("status", [Status.REJECTED, Status.DUPLICATE, Status.PUBLISHED])
def test_closed_corrections_cannot_be_accepted(guide, status):
    correction = submit(guide)
    original = submit(guide, text="原始报告")
    Correction.objects.filter(pk=correction.pk).update(status=status, duplicate_of=original)
    correction.refresh_from_db()
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_accept(correction=correction, user=factories.reviewer())


# --- publishing credits the reader and sends one email ----------------------------------------
def test_publishing_the_change_credits_the_reader_and_sends_one_email(
    guide, django_capture_on_commit_callbacks
):
    accepter, publisher = factories.reviewer(), factories.reviewer()
    correction = submit(guide, email="reader@example.com")
    other = submit(guide, position=3, text="第三步新", language="en")
    copy = corrections.correction_accept(correction=correction, user=accepter, submit=False)
    corrections.correction_accept(correction=other, user=accepter)
    with django_capture_on_commit_callbacks(execute=True):
        live = workflow.guide_publish(guide=copy, user=publisher, note="更新暂停步骤")
    revision = GuideRevision.objects.get(guide=live)
    # in the guide's language, with its punctuation
    assert revision.note == "更新暂停步骤；包含 2 条读者更正"
    assert live.steps.get(position=2).body.startswith("新的第二步")
    correction.refresh_from_db()
    assert correction.status == Status.PUBLISHED
    assert correction.revision == revision and correction.published_at
    assert correction.notified_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reader@example.com"]
    assert correction.display_code in message.body
    assert f"https://guides.example.org{correction.get_absolute_url()}" in message.body
    assert actions(correction)[-2:] == [Action.PUBLISHED, Action.NOTIFIED]


def test_publishing_a_change_without_corrections_leaves_the_note_alone(guide):
    editor, reviewer = factories.editor(), factories.reviewer()
    copy = workflow.guide_start_change(guide=guide, user=editor)
    workflow.guide_submit(guide=copy, user=editor)
    workflow.guide_publish(guide=copy, user=reviewer, note="例行更新")
    assert GuideRevision.objects.get(guide=guide).note == "例行更新"


def test_a_failing_mail_server_leaves_the_correction_unnotified(
    guide, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    correction = submit(guide, email="reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        corrections.correction_reject(
            correction=correction, user=factories.editor(), reason="incorrect"
        )
    correction.refresh_from_db()
    assert correction.status == Status.REJECTED
    assert correction.notified_at is None
    assert "reader@example.com" not in caplog.text


# --- reject, duplicate, spam, rescue --------------------------------------------------------
def test_reject_needs_a_reason_from_the_list(guide):
    correction = submit(guide)
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_reject(correction=correction, user=factories.editor(), reason="meh")


def test_reject_sends_the_reader_the_reason(guide, django_capture_on_commit_callbacks):
    correction = submit(guide, email="r@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        corrections.correction_reject(
            correction=correction,
            user=factories.editor(),
            reason="already_fixed",
            note="Fixed on 3 May.",
        )
    assert len(mail.outbox) == 1
    assert "The guide has already been corrected" in mail.outbox[0].body
    assert "Fixed on 3 May." in mail.outbox[0].body
    event = correction.events.get(action=Action.REJECTED)
    assert (event.from_status, event.to_status, event.note) == (
        "received",
        "rejected",
        "Fixed on 3 May.",
    )


def test_duplicate_points_at_the_original(guide):
    editor = factories.editor()
    original = submit(guide, text="原始报告")
    dup = submit(guide, text="重复报告")
    dup_of_dup = submit(guide, text="又一个")
    corrections.correction_mark_duplicate(correction=dup, user=editor, original=original)
    corrections.correction_mark_duplicate(correction=dup_of_dup, user=editor, original=dup)
    dup_of_dup.refresh_from_db()
    assert dup_of_dup.duplicate_of == original
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_mark_duplicate(correction=original, user=editor, original=original)


def test_duplicate_must_be_about_the_same_guide(guide):
    renew = factories.task("renew", name_zh="续约", name_en="Renew", synonyms="")
    other = submit(factories.guide(status=Guide.Status.PUBLISHED, task_obj=renew), text="别的指南")
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_mark_duplicate(
            correction=submit(guide), user=factories.editor(), original=other
        )


def test_spam_confirmed_then_rescued(guide):
    editor = factories.editor()
    flagged = submit(guide, text="TG💪+ @esim1088")
    assert flagged.status == Status.SPAM and flagged.public_status == "received"
    confirmed = corrections.correction_mark_spam(correction=flagged, user=editor)
    assert confirmed.decided_by == editor and confirmed.public_status == "rejected"
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_mark_spam(correction=flagged, user=editor)
    rescued = corrections.correction_rescue(correction=flagged, user=editor)
    assert rescued.status == Status.RECEIVED and rescued.decided_at is None
    assert rescued.spam_reasons  # the rules' findings stay on record
    assert actions(rescued) == [Action.SUBMITTED, Action.FLAGGED, Action.SPAM, Action.RESCUED]


def test_spam_gets_no_email(guide, django_capture_on_commit_callbacks):
    correction = submit(guide, email="victim@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        corrections.correction_mark_spam(correction=correction, user=factories.editor())
    assert mail.outbox == []


def test_rescue_only_applies_to_spam(guide):
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_rescue(correction=submit(guide), user=factories.editor())


def test_a_decided_correction_is_not_decided_again(guide):
    editor = factories.editor()
    correction = submit(guide)
    corrections.correction_reject(correction=correction, user=editor, reason="unclear")
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_reject(correction=correction, user=editor, reason="incorrect")
    with pytest.raises(corrections.CorrectionError):
        corrections.correction_start_review(correction=correction, user=editor)


def test_accept_finds_the_reported_step_even_after_an_editor_inserted_one_before_it():
    from django.db.models import F

    from kb.models import Step

    editor, reviewer, publisher = (
        factories.editor("ed-x"),
        factories.reviewer("rev-x"),
        factories.reviewer("pub-x"),
    )
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor),
        user=publisher,
    )
    reported = live.steps.get(position=2)
    correction = corrections.correction_submit(
        guide=live,
        step=reported,
        kind="wrong",
        proposed_text="改成新的第二步内容。",
        language="zh-hans",
    )
    copy = workflow.guide_start_change(guide=live, user=editor)
    Step.objects.filter(guide=copy, position__gte=2).update(position=F("position") + 10_000)
    Step.objects.filter(guide=copy, position__gt=10_000).update(position=F("position") - 9_999)
    Step.objects.create(guide=copy, position=2, title="编辑插入的步骤", body="编辑写的内容")
    corrections.correction_accept(correction=correction, user=reviewer, submit=False)
    assert copy.steps.get(position=2).body == "编辑写的内容"
    assert copy.steps.get(position=3).body == "改成新的第二步内容。"
