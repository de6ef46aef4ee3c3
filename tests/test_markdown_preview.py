"""The Markdown fields' live preview: staff post text and get back the HTML readers would see,
made by the same sanitizer, never a script; the guide form gives every Markdown field (and only
those) the preview, with no inline script."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kb.admin.preview import MAX_PREVIEW_CHARS, markdown_fields
from kb.models import Guide, Problem, Step
from kb.templatetags.kb_tags import sanitized_with_phones
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def url():
    with translation.override("en"):
        return reverse("admin:kb_markdown_preview")


@pytest.fixture
def editor_client(client):
    client.force_login(factories.editor("ed"))
    return client


def test_preview_is_the_html_the_public_page_shows_for_the_same_text(editor_client, url):
    text = "**先**打开 [官网](https://www.t-mobile.com)，然后拨打 +1 505 998 3793。\n\n- 一\n- 二"
    guide = factories.guide(steps=0)
    step = Step.objects.create(guide=guide, position=1, title="第一步", body=text)
    response = editor_client.post(url, {"text": text})
    assert response.status_code == 200
    assert response.json()["html"] == sanitized_with_phones(step.body_html)
    assert "<strong>先</strong>" in response.json()["html"]
    assert 'href="tel:+15059983793"' in response.json()["html"]


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "[点我](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "<a href='#' onclick='alert(1)'>x</a>\n\n<script src=//evil.example/x.js></script>",
    ],
)
def test_preview_never_returns_a_script(editor_client, url, text):
    html = editor_client.post(url, {"text": text}).json()["html"]
    assert not re.search(r"<(script|img)|href=\"?javascript:|<[a-z][^>]*\son\w+=", html, re.I), html


def test_empty_text_previews_as_nothing(editor_client, url):
    assert editor_client.post(url, {"text": "  \n "}).json() == {"html": ""}


def test_preview_answers_only_posts(editor_client, url):
    assert editor_client.get(url, {"text": "**x**"}).status_code == 405


def test_preview_is_for_staff_only(client, url):
    anonymous = client.post(url, {"text": "**x**"})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    reader = User.objects.create_user("reader", password="pw-not-used-123")
    client.force_login(reader)
    response = client.post(url, {"text": "**x**"})
    assert response.status_code == 302 and "html" not in response.content.decode()


def test_preview_is_for_those_who_may_write_guides(client, url):
    staff = User.objects.create_user("staff", password="pw-not-used-123", is_staff=True)
    client.force_login(staff)
    response = client.post(url, {"text": "**x**"})
    assert response.status_code == 403 and "<strong>" not in response.content.decode()


def test_preview_needs_the_csrf_token(url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.editor("ed"))
    assert client.post(url, {"text": "**x**"}).status_code == 403
    client.get(reverse("admin:kb_guide_add"))
    token = client.cookies["csrftoken"].value
    response = client.post(url, {"text": "**x**"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json()["html"] == "<p><strong>x</strong></p>"


def test_text_over_the_limit_gets_a_clear_error_in_the_editors_language(editor_client):
    with translation.override("zh-hans"):
        url = reverse("admin:kb_markdown_preview")
    response = editor_client.post(url, {"text": "字" * (MAX_PREVIEW_CHARS + 1)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "50,000" in error and "50,001" in error
    assert re.search(r"[\u4e00-\u9fff]", error), error
    assert editor_client.post(url, {"text": "字" * MAX_PREVIEW_CHARS}).status_code == 200


def test_the_markdown_fields_are_those_rendered_to_html():
    assert markdown_fields(Guide) == {"prerequisites", "risk_notes", "tips"}
    assert markdown_fields(Step) == {"body", "tip", "warning"}
    assert markdown_fields(Problem) == {"cause", "solution"}


def test_guide_form_has_a_preview_under_every_markdown_field_and_no_inline_script(editor_client):
    guide = factories.guide(steps=1, problems=1)
    page = editor_client.get(reverse("admin:kb_guide_change", args=[guide.pk])).content.decode()
    previewed = set(re.findall(r'<textarea name="([\w-]+)"[^>]*data-markdown-preview=', page))
    expected = {"prerequisites", "risk_notes", "tips"}
    for row in ("0", "1", "__prefix__"):  # the step, the blank row, the row "add" copies
        expected |= {f"steps-{row}-{name}" for name in ("body", "tip", "warning")}
    expected |= {f"problems-0-{name}" for name in ("cause", "solution")}
    expected |= {f"problems-__prefix__-{name}" for name in ("cause", "solution")}
    assert previewed == expected
    assert 'name="summary"' in page and "summary" not in previewed
    assert "js/markdown-preview" in page and "css/markdown-preview" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    assert not re.search(r"\sstyle=", page.split('id="content"', 1)[1]), "inline style"
