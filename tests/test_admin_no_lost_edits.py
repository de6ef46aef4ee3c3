"""No typed edit is lost: a workflow button on an editable change page saves the form first;
with invalid input the errors are shown and nothing else happens. Buttons that do not save are
offered only on pages with nothing to edit."""

import re

import pytest
from django.utils import translation

from kb.models import Guide
from kb.services import workflow
from tests import factories
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db
Status = Guide.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _url(guide):
    return f"/en/admin/kb/guide/{guide.pk}/change/"


def test_submit_saves_what_the_editor_typed_first(client):
    editor = factories.editor("ed")
    guide = factories.guide()
    client.force_login(editor)
    page = client.get(_url(guide))
    data = change_form_data(page, title="刚输入的标题", _transition="submit")
    data["steps-0-body"] = "刚改的第一步。"
    response = client.post(_url(guide), data)
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.title == "刚输入的标题" and guide.status == Status.IN_REVIEW
    assert guide.steps.get(position=1).body == "刚改的第一步。"
    assert editor.pk in workflow.writer_ids(guide)


def test_invalid_input_is_shown_and_nothing_is_submitted(client):
    guide = factories.guide()
    client.force_login(factories.editor("ed"))
    page = client.get(_url(guide))
    response = client.post(_url(guide), change_form_data(page, title="", _transition="submit"))
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    guide.refresh_from_db()
    assert guide.status == Status.DRAFT and guide.title


def test_send_back_keeps_the_reviewers_reason_and_typed_fix(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    guide = workflow.guide_submit(guide=factories.guide(), user=editor)
    client.force_login(reviewer)
    page = client.get(_url(guide))
    data = change_form_data(page, summary="审核人顺手改的摘要。", _transition="reject")
    data["reason-reject"] = "第 2 步缺截图"
    client.post(_url(guide), data)
    guide.refresh_from_db()
    assert guide.summary == "审核人顺手改的摘要。"
    assert guide.status == Status.DRAFT and guide.review_note == "第 2 步缺截图"
    assert reviewer.pk in workflow.writer_ids(guide)


@pytest.mark.parametrize("state", ["draft", "in_review", "pending_draft", "pending_in_review"])
def test_every_button_on_an_editable_page_posts_the_change_form(client, state):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    guide = factories.guide()
    if state.startswith("pending"):
        live = workflow.guide_publish(
            guide=workflow.guide_submit(guide=guide, user=editor), user=reviewer
        )
        guide = workflow.guide_start_change(guide=live, user=editor)
    if state.endswith("in_review"):
        guide = workflow.guide_submit(guide=guide, user=editor)
    buttons = []
    for user in (editor, reviewer):
        client.force_login(user)
        html = client.get(_url(guide)).content.decode()
        buttons += re.findall(r"<button[^>]*data-kb-action[^>]*>", html)
    assert buttons, state
    for button in buttons:
        assert 'name="_transition"' in button and "formaction" not in button, button


def test_read_only_pages_post_buttons_straight_to_the_service(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=factories.guide(), user=editor), user=reviewer
    )
    client.force_login(reviewer)
    html = client.get(_url(live)).content.decode()
    assert 'name="title"' not in html  # nothing to type, nothing to lose
    buttons = re.findall(r"<button[^>]*data-kb-action[^>]*>", html)
    assert {re.search(r'data-kb-action="(\w+)"', b).group(1) for b in buttons} == {
        "edit",
        "verify",
        "archive",
        "unpublish",
    }
    assert all("formaction=" in b for b in buttons)


def test_view_on_site_goes_to_the_preview_until_published_and_appears_once(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    draft = factories.guide()
    client.force_login(editor)
    html = client.get(_url(draft)).content.decode()
    preview = f"/en/admin/kb/guide/{draft.pk}/preview/"
    assert html.count('class="viewsitelink"') == 1
    assert re.search(rf'href="{preview}" class="viewsitelink"', html)
    assert client.get(preview).status_code == 200
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=draft, user=editor), user=reviewer
    )
    html = client.get(_url(live)).content.decode()
    assert html.count('class="viewsitelink"') == 1
    assert f'href="{live.get_absolute_url()}" class="viewsitelink"' in html
    assert "/history/" in html  # Django's own history link is still there
