"""The moderation loop with two people, and four eyes that hold: whoever wrote the text is not
who publishes it, an edit after submitting goes back to draft, and publishing is bound to the
version the reviewer saw. Through the services and through the admin, buttons or not."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from kb.models import Correction, Guide, GuideEvent
from kb.services import corrections, workflow
from tests import factories
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db
Status = Guide.Status
Action = GuideEvent.Action


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KB_ALLOW_SELF_PUBLISH = False
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def editor():
    return factories.editor("ed")


@pytest.fixture
def reviewer():
    return factories.reviewer("rev")


def _published(editor, reviewer):
    guide = factories.guide()
    workflow.guide_record_edit(guide=guide, user=editor, changed=["title"])
    workflow.guide_submit(guide=guide, user=editor)
    return workflow.guide_publish(guide=guide, user=reviewer)


def _report(guide, position=2, text="新的第二步：在 App 里点“暂停”。"):
    return corrections.correction_submit(
        guide=guide,
        step=guide.steps.get(position=position),
        kind="outdated",
        proposed_text=text,
        language="zh-hans",
    )


def _change_url(guide):
    return f"/en/admin/kb/guide/{guide.pk}/change/"


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the loop with two people ---------------------------------------------------------------
def test_editor_accepts_a_correction_and_the_reviewer_publishes_it(editor, reviewer):
    live = _published(editor, reviewer)
    correction = _report(live)
    copy = corrections.correction_accept(correction=correction, user=editor)
    assert copy.status == Status.IN_REVIEW and copy.submitted_by == editor
    assert copy.steps.get(position=2).body == correction.proposed_text
    with pytest.raises(PermissionDenied):
        workflow.guide_publish(guide=copy, user=editor)
    workflow.guide_publish(guide=copy, user=reviewer)
    correction.refresh_from_db()
    assert correction.status == Correction.Status.PUBLISHED
    assert live.steps.get(position=2).body == correction.proposed_text


def test_reviewer_who_accepted_the_readers_text_unchanged_may_publish_it(editor, reviewer):
    live = _published(editor, reviewer)
    correction = _report(live)
    copy = corrections.correction_accept(correction=correction, user=reviewer)
    assert reviewer.pk not in workflow.writer_ids(copy)
    assert workflow.is_allowed("publish", guide=copy, user=reviewer)
    workflow.guide_publish(guide=copy, user=reviewer)
    correction.refresh_from_db()
    assert correction.status == Correction.Status.PUBLISHED
    assert live.events.filter(action=Action.CORRECTION_APPLIED, actor=reviewer).exists()


def test_reviewer_who_rewrote_the_readers_text_needs_another_reviewer(editor, reviewer):
    live = _published(editor, reviewer)
    copy = corrections.correction_accept(
        correction=_report(live), user=reviewer, text="审核人重写的第二步。"
    )
    assert workflow.writer_ids(copy) == {reviewer.pk}
    assert not workflow.is_allowed("publish", guide=copy, user=reviewer)
    with pytest.raises(PermissionDenied):
        workflow.guide_publish(guide=copy, user=reviewer)
    assert live.events.filter(action=Action.EDITED, actor=reviewer).exists()
    workflow.guide_publish(guide=copy, user=factories.reviewer("rev2"))


def test_a_one_person_site_may_let_the_rewriting_reviewer_publish(editor, reviewer, settings):
    settings.KB_ALLOW_SELF_PUBLISH = True
    live = _published(editor, reviewer)
    copy = corrections.correction_accept(correction=_report(live), user=reviewer, text="重写。")
    assert workflow.guide_publish(guide=copy, user=reviewer).status == Status.PUBLISHED


def test_the_editor_who_wrote_a_guide_cannot_publish_it_even_as_reviewer():
    author = factories.user("both", groups=["Editors", "Reviewers"])
    guide = factories.guide()
    workflow.guide_record_edit(guide=guide, user=author, changed=["title"])
    workflow.guide_submit(guide=guide, user=author)
    with pytest.raises(PermissionDenied):
        workflow.guide_publish(guide=guide, user=author)


def test_opening_or_submitting_a_change_does_not_make_one_its_writer(editor, reviewer):
    live = _published(editor, reviewer)
    copy = workflow.guide_start_change(guide=live, user=reviewer)
    copy = workflow.guide_submit(guide=copy, user=reviewer)
    assert workflow.writer_ids(copy) == set()
    assert workflow.is_allowed("publish", guide=copy, user=reviewer)


def test_accept_through_the_admin_as_an_editor_submits_the_change(client, editor, reviewer):
    live = _published(editor, reviewer)
    correction = _report(live)
    client.force_login(editor)
    url = reverse("admin:kb_correction_decide", args=[correction.pk, "accept"])
    response = client.post(url, {"text": correction.proposed_text, "submit": "on", "note": "谢谢"})
    copy = live.pending_versions.get()
    assert response["Location"] == reverse("admin:kb_guide_change", args=[copy.pk])
    assert copy.status == Status.IN_REVIEW


# --- an edit after submitting goes back to draft ----------------------------------------------
def test_saving_a_guide_in_review_sends_it_back_to_draft_with_an_event(client, editor):
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    client.force_login(editor)
    page = client.get(_change_url(guide))
    response = client.post(_change_url(guide), change_form_data(page, title="改过的标题"))
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.title == "改过的标题" and guide.status == Status.DRAFT
    event = guide.events.filter(action=Action.EDITED).get()
    assert (event.actor, event.from_status, event.to_status) == (editor, "in_review", "draft")
    assert "title" in event.note.lower() and "back to draft" in event.note


def test_saving_a_pending_change_in_review_sends_it_back_to_draft(client, editor, reviewer):
    live = _published(editor, reviewer)
    copy = workflow.guide_submit(
        guide=workflow.guide_start_change(guide=live, user=editor), user=editor
    )
    client.force_login(editor)
    page = client.get(_change_url(copy))
    client.post(_change_url(copy), change_form_data(page, **{"steps-0-body": "新的第一步。"}))
    copy.refresh_from_db()
    assert copy.status == Status.DRAFT
    assert copy.steps.get(position=1).body == "新的第一步。"
    assert live.events.filter(action=Action.EDITED, actor=editor, to_status="draft").exists()


def test_a_save_without_changes_leaves_the_guide_in_review(client, editor, reviewer):
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    client.force_login(reviewer)
    page = client.get(_change_url(guide))
    client.post(_change_url(guide), change_form_data(page, _continue="1"))
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW
    assert not guide.events.filter(action=Action.EDITED).exists()


# --- publishing is bound to what the reviewer saw -------------------------------------------
def test_publish_refuses_a_version_the_reviewer_did_not_see(editor, reviewer):
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    seen = workflow.version_token(guide)
    guide.steps.filter(position=1).update(body="评审打开页面之后改的。")
    with pytest.raises(workflow.WorkflowError, match="changed since you opened it"):
        workflow.guide_publish(guide=guide, user=reviewer, version=seen)
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW
    assert (
        workflow.guide_publish(
            guide=guide, user=reviewer, version=workflow.version_token(guide)
        ).status
        == Status.PUBLISHED
    )


def test_the_publish_button_publishes_the_version_on_screen(client, editor, reviewer):
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    client.force_login(reviewer)
    page = client.get(_change_url(guide))
    assert 'value="publish"' in page.content.decode()
    response = client.post(
        _change_url(guide),
        change_form_data(page, _transition="publish", **{"note-publish": "first"}),
        follow=True,
    )
    guide.refresh_from_db()
    assert guide.status == Status.PUBLISHED, _messages(response)
    assert guide.revisions.get().note == "first"


def test_the_publish_button_after_an_editors_change_says_review_again(client, editor, reviewer):
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    client.force_login(reviewer)
    page = client.get(_change_url(guide))
    # Meanwhile the editor saves a change in another window (it goes back to draft) and
    # submits again, so the status alone would let the old screen publish.
    workflow.guide_record_edit(guide=guide, user=editor, changed=["steps"])
    guide.steps.filter(position=1).update(body="编辑后来改的。")
    workflow.guide_submit(guide=guide, user=editor)
    response = client.post(_change_url(guide), change_form_data(page, _transition="publish"))
    assert response.status_code == 200
    assert "changed this guide since you opened it" in response.content.decode()
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW
    assert guide.steps.get(position=1).body == "编辑后来改的。"


def test_a_direct_post_to_publish_without_the_version_is_refused(client, editor, reviewer):
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    client.force_login(reviewer)
    url = reverse("admin:kb_guide_transition", args=[guide.pk, "publish"])
    response = client.post(url, follow=True)
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW
    assert any("changed since you opened it" in m for m in _messages(response))
    client.post(url, {"version": workflow.version_token(guide)})
    guide.refresh_from_db()
    assert guide.status == Status.PUBLISHED


def test_a_direct_post_by_the_author_is_refused(client, reviewer):
    guide = factories.guide()
    workflow.guide_record_edit(guide=guide, user=reviewer, changed=["title"])
    workflow.guide_submit(guide=guide, user=reviewer)
    client.force_login(reviewer)
    page = client.get(_change_url(guide)).content.decode()
    assert 'value="publish"' not in page
    url = reverse("admin:kb_guide_transition", args=[guide.pk, "publish"])
    client.post(url, {"version": workflow.version_token(guide)})
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW


def test_a_save_over_a_newer_version_is_refused_and_keeps_the_typed_text(client, editor):
    guide = factories.guide()
    client.force_login(editor)
    page = client.get(_change_url(guide))
    guide.steps.filter(position=1).update(body="另一位编辑刚保存的。")
    response = client.post(_change_url(guide), change_form_data(page, title="我的新标题"))
    html = response.content.decode()
    assert response.status_code == 200 and "since you opened it" in html
    assert re.search(r'name="title"[^>]*value="我的新标题"', html)
    guide.refresh_from_db()
    assert guide.title != "我的新标题"
