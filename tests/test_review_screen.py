"""The review screen: a change in review opens on live and proposed side by side, field by field
and step by step, and the reviewer publishes or sends it back from the same page."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kb import compare
from kb.compare import ADDED, CHANGED, MOVED, REMOVED, UNCHANGED, compare_versions, match_items
from kb.diff import char_diff_html, char_diff_sides
from kb.models import Guide, GuideEvent, Step
from kb.services import workflow
from kb.services.snapshots import GUIDE_FIELDS, STEP_FIELDS, snapshot
from tests import factories

pytestmark = pytest.mark.django_db
Status = Guide.Status


def _step(title, body=None):
    return {"title": title, "body": body or f"{title}：按屏幕上的说明操作，然后等待确认短信。"}


LIVE = [_step("登录账户"), _step("打开设置"), _step("选择漫游"), _step("确认注销")]


def _statuses(old, new):
    return [(m.status, m.old, m.new) for m in match_items(old, new, STEP_FIELDS)]


# --- step matching ------------------------------------------------------------------------------
def test_identical_steps_are_all_unchanged():
    assert _statuses(LIVE, list(LIVE)) == [(UNCHANGED, i, i) for i in range(4)]


def test_an_edited_step_is_changed_in_place():
    edited = {**LIVE[1], "body": LIVE[1]["body"].replace("等待确认短信", "等待客服回电")}
    assert _statuses(LIVE, [LIVE[0], edited, LIVE[2], LIVE[3]]) == [
        (UNCHANGED, 0, 0),
        (CHANGED, 1, 1),
        (UNCHANGED, 2, 2),
        (UNCHANGED, 3, 3),
    ]


def test_a_step_taken_to_the_top_is_the_only_one_moved():
    rows = match_items(LIVE, [LIVE[2], LIVE[0], LIVE[1], LIVE[3]], STEP_FIELDS)
    assert [(m.status, m.old, m.new) for m in rows] == [
        (MOVED, 2, 0),
        (UNCHANGED, 0, 1),
        (UNCHANGED, 1, 2),
        (UNCHANGED, 3, 3),
    ]


def test_a_step_moved_and_edited_is_both():
    edited = {**LIVE[3], "title": "确认注销号码"}
    (first, *_rest) = match_items(LIVE, [edited, *LIVE[:3]], STEP_FIELDS)
    assert (first.status, first.old, first.new, first.changed) == (MOVED, 3, 0, True)


def test_a_step_inserted_at_the_top_is_added_and_the_others_stay():
    new = [_step("先备份通讯录"), *LIVE]
    assert _statuses(LIVE, new) == [(ADDED, None, 0)] + [(UNCHANGED, i, i + 1) for i in range(4)]


def test_a_removed_step_is_shown_where_it_was():
    assert _statuses(LIVE, [LIVE[0], LIVE[2], LIVE[3]]) == [
        (UNCHANGED, 0, 0),
        (REMOVED, 1, None),
        (UNCHANGED, 2, 1),
        (UNCHANGED, 3, 2),
    ]


def test_a_rewritten_step_is_removed_and_added_not_changed():
    rewritten = {"title": "拨打 611", "body": "用另一部电话拨 +1 800 937 8997。"}
    statuses = _statuses(LIVE, [LIVE[0], rewritten, LIVE[2], LIVE[3]])
    assert (REMOVED, 1, None) in statuses and (ADDED, None, 1) in statuses


def test_a_long_guide_edited_throughout_still_pairs_each_step_with_its_edit():
    old = [_step(f"第 {n} 步：检查设置项 {n}") for n in range(60)]
    new = [{**step, "body": step["body"] + "如有问题，联系客服。"} for step in old]
    assert _statuses(old, new) == [(CHANGED, n, n) for n in range(60)]


def test_before_the_first_publication_every_step_is_added():
    assert _statuses([], LIVE) == [(ADDED, None, i) for i in range(4)]


def test_first_publication_compares_every_field_as_added():
    comparison = compare_versions(
        None, {"guide": {"title": "新指南", "summary": "摘要"}, "steps": LIVE}
    )
    assert {f["name"] for f in comparison["fields"]} >= {"title", "summary"}
    assert all(f["old"] == "" for f in comparison["fields"])
    assert [row["status"] for row in comparison["steps"]] == [ADDED] * 4


# --- the character-level diff ----------------------------------------------------------------
def test_chinese_diff_marks_the_changed_characters_only():
    old, new = char_diff_sides("打开设置，选择漫游。", "打开设置，关闭漫游。")
    assert old == '打开设置，<del class="diff-del">选择</del>漫游。'
    assert new == '打开设置，<ins class="diff-ins">关闭</ins>漫游。'


def test_diff_sides_escape_the_text():
    old, new = char_diff_sides("<b>旧</b>", "<script>新</script>")
    assert "<script>" not in new and "<b>" not in old
    assert "&lt;" in new and "&lt;" in old


def test_only_the_changed_line_of_a_long_text_is_marked():
    old, new = char_diff_sides("第一行\n第二行\n第三行", "第一行\n第二段\n第三行")
    assert new == '第一行\n第二<ins class="diff-ins">段</ins>\n第三行'
    assert old == '第一行\n第二<del class="diff-del">行</del>\n第三行'


def test_a_long_rewritten_block_is_marked_whole_not_character_by_character():
    old, new = char_diff_sides("甲" * 6_000, "乙" * 6_000)
    assert old == f'<del class="diff-del">{"甲" * 6_000}</del>'
    assert new == f'<ins class="diff-ins">{"乙" * 6_000}</ins>'


def test_the_inline_diff_marks_the_same_changes_as_the_side_by_side_one():
    assert char_diff_html("打开设置，选择漫游。", "打开设置，关闭漫游。") == (
        '打开设置，<del class="diff-del">选择</del><ins class="diff-ins">关闭</ins>漫游。'
    )
    assert "&lt;script&gt;" in char_diff_html("", "<script>新</script>")


def test_the_inline_diff_of_a_long_rewrite_is_bounded_like_the_side_by_side_one():
    """The correction admin's inline diff: a long rewrite (a reader's whole pasted text) is
    marked whole instead of diffed character by character, which is quadratic."""
    old, new = "甲乙" * 20_000, "乙甲" * 20_000
    assert char_diff_html(old, new) == (
        f'<del class="diff-del">{old}</del><ins class="diff-ins">{new}</ins>'
    )


def test_a_changed_picture_marks_its_step_changed_and_is_shown():
    with_picture = {**LIVE[0], "images": [{"asset": "k1", "alt": "设置页面", "caption": ""}]}
    renamed = {**LIVE[0], "images": [{"asset": "k1", "alt": "漫游设置页面", "caption": ""}]}
    comparison = compare_versions(
        {"guide": {}, "steps": [with_picture]}, {"guide": {}, "steps": [renamed]}
    )
    (row,) = comparison["steps"]
    assert row["status"] == CHANGED
    pictures = [f for f in row["fields"] if f["changed"]]
    assert len(pictures) == 1 and '<ins class="diff-ins">漫游</ins>' in pictures[0]["new"]


# --- the screen --------------------------------------------------------------------------------
@pytest.fixture
def change(db, settings):
    """A published guide with a pending change in review, written by the editor."""
    settings.KB_ALLOW_SELF_PUBLISH = False
    editor, reviewer = factories.editor("bianji"), factories.reviewer("shenhe")
    guide = factories.guide(updated_by=editor, title="注销指南")
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=guide, user=editor), user=factories.reviewer("first")
    )
    copy = workflow.guide_start_change(guide=live, user=editor)
    Step.objects.filter(guide=copy, position=2).update(body="做第 2 件要紧的事。")
    # Step 3 is taken to the top: 3, 1, 2.
    steps = {step.position: step.pk for step in copy.steps.all()}
    for position, pk in steps.items():
        Step.objects.filter(pk=pk).update(position=100 + position)
    for new, old in ((1, 3), (2, 1), (3, 2)):
        Step.objects.filter(pk=steps[old]).update(position=new)
    copy.summary = "这是一份修改过的测试指南。"
    copy.save()
    workflow.guide_record_edit(guide=copy, user=editor, changed=["summary"])
    copy = workflow.guide_submit(guide=copy, user=editor)
    return live, copy, editor, reviewer


def _review(client, guide, **data):
    url = reverse("admin:kb_guide_review", args=[guide.pk])
    return client.post(url, data) if data else client.get(url)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_reviewer_sees_live_and_proposed_side_by_side_with_the_diff(client, change):
    live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    page = _review(client, copy).content.decode()
    assert page.count('class="kb-review-side kb-review-live"') == page.count(
        'class="kb-review-side kb-review-proposed"'
    )
    assert '这是一份<ins class="diff-ins">修改过的</ins>测试指南。' in page
    assert '做第 2 件<ins class="diff-ins">要紧的</ins>事。' in page
    assert "从第 3 位移到第 1 位" in page  # step 3 was taken to the top
    assert page.count('data-status="moved"') == 1
    assert "已修改" in page and "修改时间" not in page
    assert 'data-kb-action="publish"' in page and 'data-kb-action="reject"' in page
    assert f'value="{workflow.version_token(copy)}"' in page
    assert reverse("admin:kb_guide_preview", args=[copy.pk]) in page
    # Unchanged fields are folded, not left out.
    assert re.search(r'<details class="kb-review-unchanged">.*data-field="time_needed"', page, re.S)


def test_first_publication_shows_not_yet_published_and_everything_added(client, db):
    editor, reviewer = factories.editor("bianji"), factories.reviewer("shenhe")
    guide = workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor)
    client.force_login(reviewer)
    page = _review(client, guide).content.decode()
    assert "尚未发布" in page
    assert 'data-status="added"' in page and 'data-status="unchanged"' not in page


def test_publish_from_the_review_page_publishes_the_change(client, change):
    live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    response = _review(
        client,
        copy,
        _transition="publish",
        kb_version=workflow.version_token(copy),
        **{"note-publish": "改了第 2 步"},
    )
    assert response.url == reverse("admin:kb_guide_change", args=[live.pk])
    live.refresh_from_db()
    assert live.summary == "这是一份修改过的测试指南。"
    assert not Guide.objects.filter(pk=copy.pk).exists()
    assert live.revisions.order_by("-number").first().note == "改了第 2 步"


def test_an_edit_after_the_reviewer_opened_the_page_refuses_publishing(client, change):
    live, copy, editor, reviewer = change
    client.force_login(reviewer)
    token = re.search(r'name="kb_version" value="(\w+)"', _review(client, copy).content.decode())
    Step.objects.filter(guide=copy, position=2).update(body="又改了一次。")
    response = _review(client, copy, _transition="publish", kb_version=token.group(1))
    assert response.url == reverse("admin:kb_guide_review", args=[copy.pk])
    assert _messages(response) == [str(workflow.CHANGED_SINCE_OPENED)]
    live.refresh_from_db()
    assert live.summary == "这是一份测试指南。"
    assert Guide.objects.get(pk=copy.pk).status == Status.IN_REVIEW


def test_send_back_requires_a_reason_and_records_it(client, change):
    _live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    response = _review(client, copy, _transition="reject", **{"reason-reject": "  "})
    assert response.url == reverse("admin:kb_guide_review", args=[copy.pk])
    copy.refresh_from_db()
    assert copy.status == Status.IN_REVIEW

    _review(client, copy, _transition="reject", **{"reason-reject": "第 2 步缺少截图。"})
    copy.refresh_from_db()
    assert (copy.status, copy.review_note) == (Status.DRAFT, "第 2 步缺少截图。")
    event = GuideEvent.objects.filter(action=GuideEvent.Action.REJECTED).get()
    assert (event.actor, event.note) == (reviewer, "第 2 步缺少截图。")


def test_the_author_sees_no_publish_button_and_is_told_why(client, change, settings):
    _live, copy, editor, _reviewer = change
    client.force_login(editor)
    page = _review(client, copy).content.decode()
    assert 'data-kb-action="publish"' not in page and 'data-kb-action="reject"' not in page
    assert 'data-kb-blocked="publish"' in page


def test_a_reviewer_who_wrote_the_change_is_told_another_must_publish(client, change):
    _live, copy, _editor, _reviewer = change
    writer = factories.reviewer("writer")
    workflow.guide_record_edit(guide=copy, user=writer, changed=["summary"], back_to_draft=False)
    client.force_login(writer)
    page = _review(client, copy).content.decode()
    assert 'data-kb-action="publish"' not in page
    assert "另一位审核人" in page or "Another reviewer" in page


def test_a_direct_post_by_the_author_publishes_nothing(client, change):
    live, copy, editor, _reviewer = change
    client.force_login(editor)
    response = _review(client, copy, _transition="publish", kb_version=workflow.version_token(copy))
    assert response.url == reverse("admin:kb_guide_review", args=[copy.pk])
    assert Guide.objects.get(pk=copy.pk).status == Status.IN_REVIEW
    live.refresh_from_db()
    assert live.summary == "这是一份测试指南。"


def test_other_transitions_cannot_be_posted_to_the_review_page(client, change):
    _live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    assert _review(client, copy, _transition="discard").status_code == 404


def test_the_live_guide_opens_the_review_of_its_pending_change(client, change):
    live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    response = _review(client, live)
    assert response.url == reverse("admin:kb_guide_review", args=[copy.pk])


def test_the_change_form_and_the_changelist_link_to_the_review(client, change):
    live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    url = reverse("admin:kb_guide_review", args=[copy.pk])
    assert url in client.get(reverse("admin:kb_guide_change", args=[copy.pk])).content.decode()
    assert url in client.get(reverse("admin:kb_guide_change", args=[live.pk])).content.decode()
    changelist = client.get(reverse("admin:kb_guide_changelist")).content.decode()
    assert url in changelist
    assert reverse("admin:kb_guide_review", args=[live.pk]) in changelist


def test_a_pending_change_compares_with_the_live_guide_from_its_own_history_page(client, change):
    _live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    url = reverse("admin:kb_guide_revisions", args=[copy.pk])
    page = client.get(url, {"current": 1}).content.decode()
    assert '这是一份<ins class="diff-ins">修改过的</ins>测试指南。' in page
    assert 'class="kb-review-side kb-review-live"' in page


def test_review_query_count_stays_flat_as_steps_grow(client, change):
    _live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    _review(client, copy)  # the first page of a session also loads what is then remembered
    with CaptureQueriesContext(connection) as few:
        assert _review(client, copy).status_code == 200
    for position in range(4, 30):
        Step.objects.create(guide=copy, position=position, title=f"新步骤 {position}", body="做。")
    with CaptureQueriesContext(connection) as many:
        page = _review(client, copy)
    assert page.status_code == 200
    assert page.content.decode().count('data-status="added"') >= 26
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_the_page_uses_no_inline_styles_or_scripts(client, change):
    _live, copy, _editor, reviewer = change
    client.force_login(reviewer)
    page = _review(client, copy).content.decode()
    body = page[page.index('<div id="kb-review">') :]
    assert " style=" not in body and "<script" not in body and "<style" not in body


def test_snapshot_of_an_unchanged_copy_compares_unchanged(db):
    live = factories.guide(status=Status.PUBLISHED)
    assert compare_versions(snapshot(live), snapshot(live))["unchanged"]


def test_a_change_to_any_field_a_snapshot_holds_is_shown_on_the_review_screen(db):
    """The review compares every field the snapshot records (snapshots.GUIDE_FIELDS), so no
    edit can reach readers unseen by the reviewer, whatever field is added later."""
    live = factories.guide(status=Status.PUBLISHED)
    other = factories.guide(
        status=Status.PUBLISHED,
        carrier_obj=factories.carrier(
            "giffgaff", "giffgaff", country=factories.country("gb", name_zh="英国", name_en="UK")
        ),
        task_obj=factories.task(slug="renew", name_zh="续费", name_en="Renew"),
    )
    old = snapshot(live)
    shown = {name: f"{name}-x" for name in GUIDE_FIELDS}
    shown.update(irreversible=not old["guide"]["irreversible"], reverify_days=7)
    for name in ("carrier_id", "country_id", "task_id"):
        shown[name] = getattr(other, name)
    shown["translation_of_id"] = other.pk
    shown.update(plan_type="prepaid", language="en")
    new = {**old, "guide": {**old["guide"], **shown}}
    assert set(compare.FIELDS) == set(GUIDE_FIELDS)
    rows = compare_versions(old, new)["fields"]
    assert [row["name"] for row in rows if row["changed"]] == [
        Guide._meta.get_field(name.removesuffix("_id")).name for name in compare.FIELDS
    ]


def test_two_revisions_compare_side_by_side_as_old_and_new(client, change):
    live, copy, _editor, reviewer = change
    workflow.guide_publish(guide=copy, user=reviewer)
    client.force_login(reviewer)
    page = client.get(
        reverse("admin:kb_guide_revisions", args=[live.pk]), {"a": 1, "b": 2}
    ).content.decode()
    assert '<span class="kb-review-side-name">旧版</span>' in page
    assert '<span class="kb-review-side-name">新版</span>' in page
    assert '这是一份<ins class="diff-ins">修改过的</ins>测试指南。' in page
