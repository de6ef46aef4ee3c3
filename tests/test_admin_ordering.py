"""Reordering steps and problems in the guide admin, as django-admin-sortable2's script posts it
(each row's new place, 1..n, in its hidden ``position`` input), and the grouped change form.

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…): the positions are unique per guide
in the database, and a swap must not trip that constraint on either."""

import re

import pytest
from django.urls import reverse

from kb.models import Guide, GuideEvent, Step
from kb.services import workflow
from tests import factories
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db
Status = Guide.Status


def _url(guide):
    return reverse("admin:kb_guide_change", args=[guide.pk])


def _titles(guide):
    return list(guide.steps.order_by("position").values_list("title", flat=True))


def _reorder_post(client, guide, prefix, order, **changes):
    """Open the change form, then post it with the rows of ``prefix`` in ``order`` (indexes of
    the rows as rendered), the way the script numbers them after a drag."""
    page = client.get(_url(guide))
    data = change_form_data(page, **changes)
    for place, index in enumerate(order, start=1):
        data[f"{prefix}-{index}-position"] = str(place)
    return client.post(_url(guide), data)


def test_dragging_the_last_step_to_the_top_saves_the_new_order(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=3)
    client.force_login(editor)
    response = _reorder_post(client, guide, "steps", [2, 0, 1])
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _titles(guide) == ["第 3 步", "第 1 步", "第 2 步"]
    assert list(guide.steps.order_by("position").values_list("position", flat=True)) == [1, 2, 3]


def test_reversing_every_step_and_problem_keeps_positions_one_to_n(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=4, problems=2)
    first_problem, second_problem = guide.problems.order_by("position")
    client.force_login(editor)
    page = client.get(_url(guide))
    data = change_form_data(page)
    for place, index in enumerate([3, 2, 1, 0], start=1):
        data[f"steps-{index}-position"] = str(place)
    data["problems-0-position"], data["problems-1-position"] = "2", "1"
    response = client.post(_url(guide), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _titles(guide) == ["第 4 步", "第 3 步", "第 2 步", "第 1 步"]
    assert list(guide.problems.order_by("position").values_list("pk", flat=True)) == [
        second_problem.pk,
        first_problem.pk,
    ]


def test_a_new_step_without_a_place_goes_after_the_reordered_ones(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=2)
    client.force_login(editor)
    page = client.get(_url(guide))
    data = change_form_data(page)
    data["steps-0-position"], data["steps-1-position"] = "2", "1"
    # The extra (empty) form of the page, filled in: no position, as the script leaves it.
    data.update({"steps-2-title": "新的一步", "steps-2-body": "最后做这件事。"})
    data["steps-2-position"] = ""
    response = client.post(_url(guide), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _titles(guide) == ["第 2 步", "第 1 步", "新的一步"]


def test_reordering_is_recorded_as_an_edit_of_the_steps(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=3)
    client.force_login(editor)
    _reorder_post(client, guide, "steps", [1, 0, 2])
    event = GuideEvent.objects.filter(guide=guide, action=GuideEvent.Action.EDITED).get()
    assert event.actor == editor
    assert str(Step._meta.verbose_name_plural) in event.note


def test_saving_in_the_same_order_records_no_edit(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=3)
    client.force_login(editor)
    response = _reorder_post(client, guide, "steps", [0, 1, 2])
    assert response.status_code == 302
    assert not GuideEvent.objects.filter(guide=guide, action=GuideEvent.Action.EDITED).exists()


def test_reordering_a_guide_in_review_sends_it_back_to_draft(client):
    editor = factories.editor("ed")
    guide = workflow.guide_submit(guide=factories.guide(steps=3, updated_by=editor), user=editor)
    assert guide.status == Status.IN_REVIEW
    client.force_login(editor)
    response = _reorder_post(client, guide, "steps", [2, 1, 0])
    assert response.status_code == 302, response.content.decode()[:3000]
    guide.refresh_from_db()
    assert guide.status == Status.DRAFT
    assert _titles(guide) == ["第 3 步", "第 2 步", "第 1 步"]
    event = guide.events.filter(action=GuideEvent.Action.EDITED).get()
    assert (event.from_status, event.to_status) == (Status.IN_REVIEW, Status.DRAFT)


@pytest.mark.parametrize("bad", ["first", "-1", "2.5"])
def test_an_unreadable_order_is_refused_and_nothing_is_saved(client, bad):
    editor = factories.editor("ed")
    guide = factories.guide(steps=3)
    client.force_login(editor)
    page = client.get(_url(guide))
    data = change_form_data(page, title="改过的标题")
    data["steps-0-position"], data["steps-1-position"] = bad, "1"
    response = client.post(_url(guide), data)
    assert response.status_code == 200
    steps_formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "steps"
    )
    assert [e.code for e in steps_formset.non_form_errors().as_data()] == ["invalid_order"]
    assert _titles(guide) == ["第 1 步", "第 2 步", "第 3 步"]
    guide.refresh_from_db()
    assert guide.title != "改过的标题"


def test_reordering_a_published_guide_in_place_is_refused(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(steps=3, updated_by=editor), user=editor),
        user=reviewer,
    )
    client.force_login(editor)
    page = client.get(_url(live))
    assert 'data-kb-move="' not in page.content.decode()
    data = change_form_data(page)
    data.update({"steps-0-position": "3", "steps-2-position": "1"})
    client.post(_url(live), data)
    assert _titles(live) == ["第 1 步", "第 2 步", "第 3 步"]


def test_each_step_has_move_up_and_move_down_buttons_and_a_hidden_order_field(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=2)
    client.force_login(editor)
    html = client.get(_url(guide)).content.decode()
    steps = html[html.index('id="steps-group"') : html.index('id="problems-group"')]
    assert steps.count('data-kb-move="up"') == 2
    assert steps.count('data-kb-move="down"') == 2
    hidden = re.findall(r'<input type="hidden" name="steps-\d-position"([^>]*)>', steps)
    assert [re.search(r'value="(\d+)"', attrs).group(1) for attrs in hidden[:2]] == ["1", "2"]
    assert all("_reorder_" in attrs for attrs in hidden)
    assert "js/admin-reorder" in html and "adminsortable2" in html
    assert "<script>" not in html  # no inline script: the strict CSP allows none


def test_steps_follow_the_title_and_summary_and_the_rest_is_folded(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=2)
    client.force_login(editor)
    html = client.get(_url(guide)).content.decode()
    order = [
        html.index('name="title"'),
        html.index('name="summary"'),
        html.index('id="steps-group"'),
        html.index('id="problems-group"'),
        html.index('name="prerequisites"'),
        html.index('name="sources-TOTAL_FORMS"'),
    ]
    assert order == sorted(order)
    folded = html[html.index('id="problems-group"') :]
    for name in ("carrier", "prerequisites", "reverify_days"):
        before = folded[: folded.index(f'name="{name}"')]
        assert before.rfind("<details>") > before.rfind("</details>"), name


def test_a_new_guide_asks_for_carrier_country_and_task_up_front(client):
    editor = factories.editor("ed")
    client.force_login(editor)
    html = client.get(reverse("admin:kb_guide_add")).content.decode()
    first_fold = html.index("<details>")
    for name in ("title", "carrier", "country", "task", "language", "summary"):
        assert html.index(f'name="{name}"') < first_fold, name
    assert html.index('name="summary"') < html.index('id="steps-group"')


def test_the_guide_list_shows_carrier_task_and_language_under_the_title(client):
    editor = factories.editor("ed")
    guide = factories.guide()
    client.force_login(editor)
    html = client.get(reverse("admin:kb_guide_changelist")).content.decode()
    assert 'class="kb-list-title"' in html and guide.title in html
    meta = re.search(r'<span class="kb-list-meta">([^<]*)</span>', html).group(1)
    assert str(guide.carrier) in meta and str(guide.task) in meta
    assert "column-carrier" not in html and "column-task" not in html
    assert "css/admin-layout" in html


def test_a_folded_section_with_an_error_opens(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=1)
    client.force_login(editor)
    page = client.get(_url(guide))
    response = client.post(_url(guide), change_form_data(page, slug="Not A Slug!"))
    assert response.status_code == 200
    html = response.content.decode()
    before = html[: html.index('name="slug"')]
    assert before.rfind("<details>") <= before.rfind("</details>")  # not inside a fold


def test_a_single_step_has_nothing_to_move(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=1, problems=0)
    client.force_login(editor)
    html = client.get(_url(guide)).content.decode()
    assert 'data-kb-move="' not in html and "kb-reorder-help" not in html
