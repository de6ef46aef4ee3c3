import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import override_settings

from kb.models import Guide, GuideEvent, Step
from kb.services import workflow
from tests import factories

pytestmark = pytest.mark.django_db
Status = Guide.Status


@pytest.fixture
def editor():
    return factories.editor("ed")


@pytest.fixture
def reviewer():
    return factories.reviewer("rev")


@pytest.fixture
def second_reviewer():
    return factories.reviewer("rev2")


def _in_review(editor):
    guide = factories.guide(updated_by=editor)
    return workflow.guide_submit(guide=guide, user=editor)


def test_editor_can_submit_but_cannot_publish(editor):
    guide = _in_review(editor)
    assert guide.status == Status.IN_REVIEW
    with pytest.raises(PermissionDenied):
        workflow.guide_publish(guide=guide, user=editor)
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW


def test_reviewer_publishes_and_a_revision_is_kept(editor, reviewer):
    guide = _in_review(editor)
    live = workflow.guide_publish(guide=guide, user=reviewer, note="首次发布")
    assert live.status == Status.PUBLISHED
    assert live.published_at is not None
    revision = live.revisions.get()
    assert revision.number == 1 and revision.note == "首次发布"
    assert [s["title"] for s in revision.data["steps"]] == ["第 1 步", "第 2 步", "第 3 步"]
    actions = list(live.events.values_list("action", flat=True))
    assert GuideEvent.Action.PUBLISHED in actions and GuideEvent.Action.SUBMITTED in actions


def test_reviewer_cannot_publish_own_change(reviewer):
    guide = factories.guide(updated_by=reviewer)
    workflow.guide_submit(guide=guide, user=reviewer)
    with pytest.raises(PermissionDenied):
        workflow.guide_publish(guide=guide, user=reviewer)


@override_settings(KB_ALLOW_SELF_PUBLISH=True)
def test_self_publish_allowed_when_setting_is_on(reviewer):
    guide = factories.guide(updated_by=reviewer)
    workflow.guide_submit(guide=guide, user=reviewer)
    assert workflow.guide_publish(guide=guide, user=reviewer).status == Status.PUBLISHED


def test_anonymous_or_inactive_users_cannot_transition(editor):
    guide = factories.guide()
    inactive = factories.reviewer("gone")
    inactive.is_active = False
    inactive.save()
    with pytest.raises(PermissionDenied):
        workflow.guide_submit(guide=guide, user=inactive)


def test_reject_needs_a_reason_and_records_it(editor, reviewer):
    guide = _in_review(editor)
    with pytest.raises(workflow.WorkflowError):
        workflow.guide_reject(guide=guide, user=reviewer, reason="  ")
    workflow.guide_reject(guide=guide, user=reviewer, reason="第 2 步的菜单路径不对")
    guide.refresh_from_db()
    assert guide.status == Status.DRAFT
    assert guide.review_note == "第 2 步的菜单路径不对"
    assert guide.events.filter(action=GuideEvent.Action.REJECTED, actor=reviewer).exists()


def test_submit_requires_steps(editor):
    guide = factories.guide(steps=0)
    with pytest.raises(workflow.WorkflowError):
        workflow.guide_submit(guide=guide, user=editor)


def test_pending_change_is_invisible_until_published(client, editor, reviewer, second_reviewer):
    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    url = live.get_absolute_url()
    assert "第 1 步" in client.get(url).content.decode()

    copy = workflow.guide_start_change(guide=live, user=editor)
    assert copy.draft_of == live and copy.status == Status.DRAFT
    step = copy.steps.get(position=1)
    step.title = "新的第一步"
    step.save()
    copy.updated_by = editor
    copy.save()
    workflow.guide_submit(guide=copy, user=editor)

    page = client.get(url).content.decode()
    assert "新的第一步" not in page and "第 1 步" in page
    assert Guide.objects.published().count() == 1

    workflow.guide_publish(guide=copy, user=second_reviewer, note="更新第一步")
    page = client.get(url).content.decode()
    assert "新的第一步" in page
    live.refresh_from_db()
    assert live.revisions.count() == 2
    assert not Guide.objects.filter(pk=copy.pk).exists()
    assert Guide.objects.filter(draft_of=live).count() == 0


def test_starting_a_change_twice_returns_the_same_copy(editor, reviewer):
    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    first = workflow.guide_start_change(guide=live, user=editor)
    assert workflow.guide_start_change(guide=live, user=editor) == first


def test_revert_restores_an_old_revision_as_a_pending_change(editor, reviewer, second_reviewer):
    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    copy.title = "第二版标题"
    copy.save()
    Step.objects.filter(guide=copy, position=3).delete()
    workflow.guide_submit(guide=copy, user=editor)
    live = workflow.guide_publish(guide=copy, user=second_reviewer)
    assert live.title == "第二版标题" and live.steps.count() == 2

    pending = workflow.guide_revert(revision=live.revisions.get(number=1), user=editor)
    assert pending.draft_of == live and pending.steps.count() == 3
    live.refresh_from_db()
    assert live.title == "第二版标题"
    workflow.guide_submit(guide=pending, user=editor)
    live = workflow.guide_publish(guide=pending, user=reviewer)
    assert live.title.startswith("测试指南") and live.steps.count() == 3
    assert live.revisions.count() == 3


def test_archive_takes_guide_off_site(client, editor, reviewer):
    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    url = live.get_absolute_url()
    workflow.guide_archive(guide=live, user=reviewer, reason="运营商已停止这项服务")
    assert client.get(url).status_code == 404
    with pytest.raises(PermissionDenied):
        workflow.guide_return_to_draft(guide=live, user=editor, reason="x")
    workflow.guide_return_to_draft(guide=live, user=reviewer, reason="重新整理")
    live.refresh_from_db()
    assert live.status == Status.DRAFT


def test_verify_sets_date_and_state(editor, reviewer):
    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    assert live.verification_state() == Guide.Verification.UNVERIFIED
    assert Guide.objects.needs_verification().filter(pk=live.pk).exists()
    workflow.guide_verify(guide=live, user=editor)
    live.refresh_from_db()
    assert live.verification_state() == Guide.Verification.VERIFIED
    assert live.last_verified_by == editor
    assert not Guide.objects.needs_verification().filter(pk=live.pk).exists()


def test_old_verification_comes_due(editor, reviewer):
    import datetime as dt

    from django.utils import timezone

    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    live.last_verified_at = timezone.now() - dt.timedelta(days=200)
    live.reverify_days = 180
    live.save()
    assert live.verification_state() == Guide.Verification.STALE
    assert Guide.objects.needs_verification().filter(pk=live.pk).exists()
    live.reverify_days = 365
    live.save()
    assert not Guide.objects.needs_verification().filter(pk=live.pk).exists()


def test_second_published_guide_for_same_topic_is_refused(editor, reviewer):
    workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    other = _in_review(editor)
    with pytest.raises(workflow.WorkflowError):
        workflow.guide_publish(guide=other, user=reviewer)


# --- constraints in the database, not only in forms -------------------------------------------
def test_database_refuses_two_published_guides_for_same_carrier_task_language():
    factories.guide(status=Status.PUBLISHED)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.guide(status=Status.PUBLISHED)


def test_database_refuses_duplicate_step_position():
    guide = factories.guide(steps=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(guide=guide, position=1, title="again", body="x")


@pytest.mark.parametrize("slug", ["Has Space", "UPPER", "trailing-", "中文", "a--b"])
def test_database_refuses_invalid_slugs(slug):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.guide(slug=slug)


def test_published_guide_needs_a_publication_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.guide(status=Status.PUBLISHED, published_at=None)


def test_countrywide_guides_are_unique_per_country_task_language():
    factories.guide(
        carrier_obj=None,
        status=Status.PUBLISHED,
        country=factories.country("it", name_zh="意大利", name_en="Italy"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.guide(carrier_obj=None, status=Status.PUBLISHED, country=factories.country("it"))


def test_a_stale_click_cannot_undo_a_newer_transition(editor, reviewer):
    guide = _in_review(editor)
    stale = Guide.objects.get(pk=guide.pk)  # what a second reviewer's open page still holds
    workflow.guide_publish(guide=guide, user=reviewer)
    with pytest.raises(workflow.WorkflowError):
        workflow.guide_reject(guide=stale, user=factories.reviewer("late"), reason="outdated")
    guide.refresh_from_db()
    assert guide.status == Status.PUBLISHED


def test_a_transition_on_a_pending_copy_that_was_published_meanwhile_is_refused(
    editor, reviewer, second_reviewer
):
    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    workflow.guide_submit(guide=copy, user=editor)
    workflow.guide_publish(guide=copy, user=second_reviewer)
    with pytest.raises(workflow.WorkflowError):
        workflow.guide_discard_change(guide=copy, user=editor)


def test_reviewer_who_edited_a_pending_copy_cannot_publish_it_after_an_editor_saves_it(
    editor, reviewer, second_reviewer
):
    live = workflow.guide_publish(guide=_in_review(editor), user=second_reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    # The reviewer writes in the pending change, then an editor saves and submits it.
    workflow.guide_record_edit(guide=copy, user=reviewer, changed=["title"])
    workflow.guide_record_edit(guide=copy, user=editor, changed=["summary"])
    workflow.guide_submit(guide=copy, user=editor)
    assert workflow.writer_ids(copy) == {reviewer.pk, editor.pk}
    with pytest.raises(PermissionDenied):
        workflow.guide_publish(guide=copy, user=reviewer)
    assert workflow.guide_publish(guide=copy, user=second_reviewer).status == Status.PUBLISHED


def test_an_unreachable_cache_does_not_block_editorial_work(monkeypatch, editor, reviewer):
    from kb import caching

    live = workflow.guide_publish(guide=_in_review(editor), user=reviewer)

    def cache_down():
        raise ConnectionError("cache is down")

    monkeypatch.setattr(caching, "bump_content_version", cache_down)
    workflow.guide_verify(guide=live, user=editor)
    live.refresh_from_db()
    assert live.last_verified_at is not None
