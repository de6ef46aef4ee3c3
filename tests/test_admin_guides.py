"""The editorial screens, driven through the admin as an editor or reviewer would."""

import pytest
from django.urls import reverse

from kb.models import Guide, Step
from kb.services import workflow
from tests import factories

pytestmark = pytest.mark.django_db
Status = Guide.Status


def _transition(client, guide, name, **data):
    return client.post(
        reverse("admin:kb_guide_transition", args=[guide.pk, name]), data, follow=True
    )


def _login(client, user):
    client.force_login(user)
    return client


def test_editor_submits_through_the_button_but_cannot_publish(client):
    editor = factories.editor("ed")
    guide = factories.guide(updated_by=editor)
    _login(client, editor)
    page = client.get(reverse("admin:kb_guide_change", args=[guide.pk])).content.decode()
    assert "Submit for review" in page or "提交审核" in page
    _transition(client, guide, "submit")
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW

    page = client.get(reverse("admin:kb_guide_change", args=[guide.pk])).content.decode()
    assert "transition/publish/" not in page
    response = _transition(client, guide, "publish")
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW
    assert response.status_code == 200


def test_reviewer_publishes_through_the_button(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    guide = workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor)
    _login(client, reviewer)
    _transition(client, guide, "publish", note="first", version=workflow.version_token(guide))
    guide.refresh_from_db()
    assert guide.status == Status.PUBLISHED
    assert guide.revisions.get().note == "first"


def test_reviewer_is_told_they_cannot_publish_their_own_change(client):
    reviewer = factories.reviewer("rev")
    guide = workflow.guide_submit(guide=factories.guide(updated_by=reviewer), user=reviewer)
    _login(client, reviewer)
    response = _transition(client, guide, "publish")
    guide.refresh_from_db()
    assert guide.status == Status.IN_REVIEW
    messages = [str(m) for m in response.context["messages"]]
    assert any("another reviewer" in m.lower() or "另一位审核人" in m for m in messages)


def test_published_guide_is_read_only_and_edits_go_to_a_pending_copy(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor),
        user=reviewer,
    )
    _login(client, editor)
    url = reverse("admin:kb_guide_change", args=[live.pk])
    client.post(url, {"title": "hacked"})
    live.refresh_from_db()
    assert live.title != "hacked"

    response = _transition(client, live, "edit")
    copy = Guide.objects.get(draft_of=live)
    assert response.redirect_chain[-1][0].endswith(reverse("admin:kb_guide_change", args=[copy.pk]))
    page = client.get(url).content.decode()
    assert reverse("admin:kb_guide_change", args=[copy.pk]) in page  # "a change is pending"


def _step_form_data(guide, steps):
    """The POST an editor's browser sends for the guide change form with the given steps."""
    data = {
        "title": guide.title,
        "slug": guide.slug,
        "carrier": guide.carrier_id,
        "country": guide.country_id,
        "task": guide.task_id,
        "language": guide.language,
        "plan_type": guide.plan_type,
        "summary": guide.summary,
        "reverify_days": guide.reverify_days,
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": len([s for s in steps if s.get("id")]),
        "problems-TOTAL_FORMS": 0,
        "problems-INITIAL_FORMS": 0,
        "sources-TOTAL_FORMS": 0,
        "sources-INITIAL_FORMS": 0,
    }
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
        data[f"steps-{i}-guide"] = guide.pk
    return data


def test_steps_can_be_reordered_by_swapping_positions(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=3)
    first, second, third = guide.steps.order_by("position")
    _login(client, editor)
    data = _step_form_data(
        guide,
        [
            {"id": first.pk, "position": 2, "title": first.title, "body": first.body},
            {"id": second.pk, "position": 1, "title": second.title, "body": second.body},
            {"id": third.pk, "position": 3, "title": third.title, "body": third.body},
        ],
    )
    response = client.post(reverse("admin:kb_guide_change", args=[guide.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(guide.steps.order_by("position").values_list("title", flat=True)) == [
        second.title,
        first.title,
        third.title,
    ]


def test_compare_shows_character_level_diff_of_a_step(client):
    editor, reviewer, reviewer2 = (
        factories.editor("ed"),
        factories.reviewer("rev"),
        factories.reviewer("rev2"),
    )
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor),
        user=reviewer,
    )
    copy = workflow.guide_start_change(guide=live, user=editor)
    Step.objects.filter(guide=copy, position=1).update(body="拨打客服注销号码。")
    workflow.guide_submit(guide=copy, user=editor)
    workflow.guide_publish(guide=copy, user=reviewer2)
    _login(client, reviewer)
    page = client.get(
        reverse("admin:kb_guide_revisions", args=[live.pk]), {"a": 1, "b": 2}
    ).content.decode()
    assert '<del class="diff-del">做第 1 件事</del>' in page
    assert '<ins class="diff-ins">拨打客服注销号码</ins>' in page


def test_restore_button_creates_a_pending_change(client):
    editor, reviewer, reviewer2 = (
        factories.editor("ed"),
        factories.reviewer("rev"),
        factories.reviewer("rev2"),
    )
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor),
        user=reviewer,
    )
    copy = workflow.guide_start_change(guide=live, user=editor)
    copy.title = "v2"
    copy.save()
    workflow.guide_submit(guide=copy, user=editor)
    live = workflow.guide_publish(guide=copy, user=reviewer2)
    _login(client, editor)
    _transition(client, live, "revert", revision=1)
    pending = Guide.objects.get(draft_of=live)
    assert pending.title.startswith("测试指南")
    live.refresh_from_db()
    assert live.title == "v2"


def test_preview_renders_a_pending_change_for_staff_only(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor),
        user=reviewer,
    )
    copy = workflow.guide_start_change(guide=live, user=editor)
    Step.objects.filter(guide=copy, position=1).update(title="预览里的新步骤")
    preview = reverse("admin:kb_guide_preview", args=[copy.pk])
    assert client.get(preview).status_code == 302  # to the login page
    _login(client, reviewer)
    page = client.get(preview).content.decode()
    assert "预览里的新步骤" in page
    assert "预览里的新步骤" not in client.get(live.get_absolute_url()).content.decode()


def test_dashboard_counts_link_to_the_lists(client):
    editor = factories.editor("ed")
    workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor)
    factories.guide(status=Status.PUBLISHED, task_obj=factories.task("renew", synonyms="续费"))
    _login(client, factories.reviewer("rev"))
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="kb-dashboard"' in page
    assert "status__exact=in_review" in page and "verification=due" in page


def test_needs_verification_filter_and_bulk_verify(client):
    reviewer = factories.reviewer("rev")
    guide = factories.guide(status=Status.PUBLISHED)
    _login(client, reviewer)
    changelist = reverse("admin:kb_guide_changelist")
    assert guide.title in client.get(changelist, {"verification": "due"}).content.decode()
    client.post(changelist, {"action": "verify_selected", "_selected_action": [guide.pk]})
    guide.refresh_from_db()
    assert guide.last_verified_by == reviewer
    assert guide.title not in client.get(changelist, {"verification": "due"}).content.decode()


def test_changelist_query_count_stays_flat_as_guides_grow(client, django_assert_max_num_queries):
    reviewer = factories.reviewer("rev")
    _login(client, reviewer)
    changelist = reverse("admin:kb_guide_changelist")
    factories.guide(steps=1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(changelist).status_code == 200
    tasks = [factories.task(f"task-{i}", synonyms="") for i in range(20)]
    for task in tasks:
        factories.guide(steps=1, task_obj=task, status=Status.PUBLISHED)
    with CaptureQueriesContext(connection) as many:
        assert client.get(changelist).status_code == 200
    assert len(many) <= len(few) + 1, [q["sql"][:120] for q in many.captured_queries]


def test_hostile_title_is_escaped_in_admin_list(client):
    factories.guide(title='<script>alert("x")</script>')
    _login(client, factories.reviewer("rev"))
    page = client.get(reverse("admin:kb_guide_changelist")).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_guide_list_shows_reader_votes_and_open_corrections_with_links(client):
    from kb.models import GuideFeedback

    guide = factories.guide(status=Status.PUBLISHED)
    GuideFeedback.objects.create(guide=guide, helpful=True, language="zh-hans", voter="a")
    GuideFeedback.objects.create(guide=guide, helpful=False, language="zh-hans", voter="b")
    _login(client, factories.reviewer("rev"))
    page = client.get(reverse("admin:kb_guide_changelist")).content.decode()
    feedback_url = reverse("admin:kb_guidefeedback_changelist") + f"?guide__id__exact={guide.pk}"
    assert f'<a href="{feedback_url}">1 / 1</a>' in page
    listed = client.get(feedback_url)
    assert listed.status_code == 200
    assert len(listed.context["cl"].result_list) == 2


def test_revert_with_a_malformed_revision_number_is_a_404_not_a_500(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(updated_by=editor), user=editor),
        user=reviewer,
    )
    _login(client, editor)
    url = reverse("admin:kb_guide_transition", args=[live.pk, "revert"])
    assert client.post(url, {"revision": "abc"}).status_code == 404
    assert client.post(url, {"revision": "99"}).status_code == 404
