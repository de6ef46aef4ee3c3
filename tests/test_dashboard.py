"""Each person's desk on the admin index: what waits for them to publish, what came back to them
and why, their drafts and the readers' corrections to triage, each short, counted and linked to
the full list; the four-eyes rule the lists use in SQL is the one the services enforce."""

import re
from itertools import product

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kb import selectors
from kb.admin.dashboard import SECTION_ROWS, guide_review_url
from kb.models import Guide
from kb.services import corrections, workflow
from tests import factories

pytestmark = pytest.mark.django_db
Status = Guide.Status


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KB_ALLOW_SELF_PUBLISH = False
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"


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


def _topic():
    return factories.task(f"task-{Guide.objects.count()}", synonyms="")


def _submitted(editor, **kwargs):
    guide = factories.guide(task_obj=_topic(), **kwargs)
    workflow.guide_record_edit(guide=guide, user=editor, changed=["title"])
    return workflow.guide_submit(guide=guide, user=editor)


def _published(editor, reviewer):
    return workflow.guide_publish(guide=_submitted(editor), user=reviewer)


def _report(guide, text="新的第一步。"):
    return corrections.correction_submit(
        guide=guide,
        step=guide.steps.get(position=1),
        kind="outdated",
        proposed_text=text,
        language="zh-hans",
    )


def _desk(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def _section(page, key):
    match = re.search(rf'<section[^>]*id="kb-desk-{key}".*?</section>', page, re.S)
    return match.group(0) if match else None


# --- the four-eyes rule in SQL is the services' rule -------------------------------------------
def _every_kind_of_version(editor, reviewer):
    """Versions written, opened, submitted, rewritten and published by different people."""
    other = factories.reviewer("rev2")
    _submitted(editor)  # the editor wrote it
    factories.guide(task_obj=_topic(), status=Status.IN_REVIEW)  # nobody wrote it
    live = _published(editor, reviewer)
    workflow.guide_start_change(guide=live, user=reviewer)  # opened, not written
    live2 = _published(editor, reviewer)
    copy = corrections.correction_accept(correction=_report(live2), user=reviewer)  # unchanged
    live3 = _published(editor, reviewer)
    corrections.correction_accept(correction=_report(live3), user=reviewer, text="重写。")
    live4 = _published(editor, reviewer)
    copy4 = workflow.guide_start_change(guide=live4, user=other)
    workflow.guide_record_edit(guide=copy4, user=other, changed=["title"])
    workflow.guide_submit(guide=copy4, user=other)
    live5 = _published(editor, other)  # published by another, then taken back to draft
    workflow.guide_return_to_draft(guide=live5, user=reviewer, reason="过时了")
    workflow.guide_publish(guide=copy, user=reviewer)
    revision = live2.revisions.get(number=1)
    workflow.guide_discard_change(guide=live.pending_versions.get(), user=reviewer)
    workflow.guide_revert(revision=revision, user=other)
    workflow.guide_revert(revision=live.revisions.get(), user=editor)
    return [editor, reviewer, other]


def test_written_by_in_sql_agrees_with_the_services_rule_for_every_version_and_person(
    editor, reviewer
):
    people = _every_kind_of_version(editor, reviewer)
    versions = list(Guide.objects.all())
    assert len(versions) >= 10
    for guide, user in product(versions, people):
        in_sql = Guide.objects.written_by(user).filter(pk=guide.pk).exists()
        not_in_sql = Guide.objects.not_written_by(user).filter(pk=guide.pk).exists()
        in_python = user.pk in workflow.writer_ids(guide)
        assert in_sql == in_python == workflow.is_own_change(guide, user), (guide, user)
        assert not_in_sql != in_sql, (guide, user)


def test_a_version_nobody_edited_is_written_by_no_one(editor):
    guide = factories.guide(updated_by=None)
    assert not Guide.objects.written_by(editor).exists()
    assert Guide.objects.not_written_by(editor).get() == guide


def test_waiting_for_me_is_exactly_where_the_publish_button_shows(editor, reviewer):
    _every_kind_of_version(editor, reviewer)
    for user in (editor, reviewer):
        expected = {
            guide.pk
            for guide in Guide.objects.all()
            if any(t.name == "publish" for t in workflow.available_actions(guide=guide, user=user))
        }
        assert set(selectors.guides_waiting_for(user).values_list("pk", flat=True)) == expected
    assert selectors.guides_waiting_for(reviewer).exists()
    assert not selectors.guides_waiting_for(editor).exists()


def test_a_one_person_site_waits_for_the_reviewer_on_their_own_guides(reviewer, settings):
    settings.KB_ALLOW_SELF_PUBLISH = True
    guide = _submitted(reviewer)
    assert list(selectors.guides_waiting_for(reviewer)) == [guide]


# --- the sections -----------------------------------------------------------------------------
def test_reviewer_sees_what_waits_for_them_but_not_their_own_submission(client, editor, reviewer):
    theirs = _submitted(editor, title="编辑写的指南")
    own = _submitted(reviewer, title="审核人自己写的")
    waiting = _section(_desk(client, reviewer), "waiting")
    assert theirs.title in waiting and own.title not in waiting
    assert guide_review_url(theirs) in waiting  # the review page once there is one
    assert "submitted by ed" in waiting


def test_editor_has_no_waiting_section_but_sees_drafts_and_corrections(client, editor, reviewer):
    draft = factories.guide(task_obj=_topic(), title="我的草稿", created_by=editor)
    _report(_published(editor, reviewer))
    page = _desk(client, editor)
    assert _section(page, "waiting") is None
    assert draft.title in _section(page, "drafts")
    assert "step 1" in _section(page, "corrections")


def test_sent_back_guide_shows_the_reviewers_reason_to_its_author_only(client, editor, reviewer):
    guide = _submitted(editor, title="被退回的指南")
    workflow.guide_reject(guide=guide, user=reviewer, reason="第二步的截图过时了。")
    sent_back = _section(_desk(client, editor), "sent_back")
    assert guide.title in sent_back
    assert "第二步的截图过时了。" in sent_back and "sent back by rev" in sent_back
    assert guide.title not in _section(_desk(client, editor), "drafts")
    assert guide.title not in _section(_desk(client, reviewer), "sent_back")
    assert guide.title not in _section(_desk(client, factories.editor("ed2")), "sent_back")


def test_a_resubmitted_guide_is_no_longer_sent_back(editor, reviewer):
    guide = _submitted(editor)
    workflow.guide_reject(guide=guide, user=reviewer, reason="再看看。")
    assert list(selectors.guides_sent_back_to(editor)) == [guide]
    workflow.guide_submit(guide=guide, user=editor)
    assert not selectors.guides_sent_back_to(editor).exists()


def test_a_sent_back_pending_change_shows_the_reason_of_its_own_send_back(editor, reviewer):
    live = _published(editor, reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    workflow.guide_record_edit(guide=copy, user=editor, changed=["title"])
    workflow.guide_submit(guide=copy, user=editor)
    workflow.guide_reject(guide=copy, user=reviewer, reason="标题太长。")
    (row,) = selectors.guides_sent_back_to(editor)
    assert row.pk == copy.pk and row.last_transition_note == "标题太长。"
    workflow.guide_discard_change(guide=copy, user=editor)
    assert not selectors.guides_sent_back_to(editor).exists()
    fresh = workflow.guide_start_change(guide=live, user=editor)
    workflow.guide_record_edit(guide=fresh, user=editor, changed=["title"])
    assert not selectors.guides_sent_back_to(editor).exists()  # an older send-back is not its own
    assert list(selectors.drafts_of(editor)) == [fresh]


def test_empty_sections_say_so_kindly(client, reviewer):
    page = _desk(client, reviewer)
    assert "Nothing waits for you" in _section(page, "waiting")
    assert "No guide of yours was sent back." in _section(page, "sent_back")
    assert "You have no drafts." in _section(page, "drafts")
    assert "No reader&#x27;s correction is waiting." in _section(page, "corrections")


def test_each_section_lists_ten_with_the_total_and_a_link_to_all_of_them(client, editor, reviewer):
    guides = [_submitted(editor) for _ in range(SECTION_ROWS + 2)]
    waiting = _section(_desk(client, reviewer), "waiting")
    assert waiting.count("<li>") == SECTION_ROWS
    assert f'<span class="kb-desk-count">{len(guides)}</span>' in waiting
    see_all = re.search(r'<p class="kb-desk-all"><a href="([^"]+)"', waiting).group(1)
    assert see_all.endswith("?mine=waiting")
    listed = client.get(see_all.replace("&amp;", "&")).content.decode()
    for guide in guides:
        assert f"/kb/guide/{guide.pk}/change/" in listed
    own = _submitted(reviewer)
    assert f"/kb/guide/{own.pk}/change/" not in client.get(see_all).content.decode()


def test_the_guide_list_filters_by_my_drafts_and_what_was_sent_back(client, editor, reviewer):
    draft = factories.guide(task_obj=_topic(), created_by=editor)
    back = _submitted(editor)
    workflow.guide_reject(guide=back, user=reviewer, reason="不对。")
    other = factories.guide(task_obj=_topic(), created_by=reviewer)
    client.force_login(editor)
    changelist = reverse("admin:kb_guide_changelist")
    drafts = client.get(changelist, {"mine": "drafts"}).content.decode()
    assert f"/guide/{draft.pk}/change/" in drafts
    assert f"/guide/{back.pk}/change/" not in drafts and f"/guide/{other.pk}/change/" not in drafts
    sent_back = client.get(changelist, {"mine": "sent_back"}).content.decode()
    assert f"/guide/{back.pk}/change/" in sent_back
    assert f"/guide/{draft.pk}/change/" not in sent_back


def test_corrections_see_all_opens_the_queue_of_open_corrections(client, editor, reviewer):
    live = _published(editor, reviewer)
    waiting = _report(live)
    decided = _report(live, text="另一个说法。")
    corrections.correction_reject(
        correction=decided, user=reviewer, reason="not_reproducible", note=""
    )
    section = _section(_desk(client, editor), "corrections")
    assert section.count("<li>") == 1
    see_all = re.search(r'<p class="kb-desk-all"><a href="([^"]+)"', section).group(1)
    queue = client.get(see_all.replace("&amp;", "&"))
    assert queue.status_code == 200
    assert list(queue.context["cl"].result_list) == [waiting]


def test_an_editor_waits_for_nothing_in_the_guide_list_either(client, editor):
    _submitted(factories.editor("ed2"))
    client.force_login(editor)
    response = client.get(reverse("admin:kb_guide_changelist"), {"mine": "waiting"})
    assert list(response.context["cl"].result_list) == []


def _grow(editor, reviewer, n):
    for _ in range(n):
        _submitted(editor)
        back = _submitted(editor)
        workflow.guide_reject(guide=back, user=reviewer, reason="再改改。")
        factories.guide(task_obj=_topic(), created_by=editor)
        _report(_published(editor, reviewer))


def test_the_desk_query_count_stays_flat_as_work_grows(
    client, editor, reviewer, django_assert_max_num_queries
):
    counts = {}
    for user in (editor, reviewer):
        client.force_login(user)
        _desk(client, user)  # sessions, content types and permissions are cached after this
    _grow(editor, reviewer, 2)
    for user in (editor, reviewer):
        client.force_login(user)
        with CaptureQueriesContext(connection) as few:
            _desk(client, user)
        counts[user.username] = len(few)
    _grow(editor, reviewer, SECTION_ROWS + 2)
    for user in (editor, reviewer):
        client.force_login(user)
        # Past ten rows a section also counts its total: one more query per section, no more.
        with django_assert_max_num_queries(counts[user.username] + 4):
            page = _desk(client, user)
        assert page.count('class="kb-desk-all"') >= 2  # every section with rows
