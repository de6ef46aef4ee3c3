"""Links that leave the site (emails) use its real address, and the reader's status page shows
the editor's note when a correction is accepted."""

import pytest
from django.core import mail
from django.urls import reverse

from kb.models import Guide
from kb.services import corrections, workflow
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def correction():
    guide = factories.guide(status=Guide.Status.PUBLISHED)
    return corrections.correction_submit(
        guide=guide,
        step=guide.steps.get(position=1),
        kind="outdated",
        proposed_text="新的第一步。",
        language="zh-hans",
        email="reader@example.com",
    )


def test_the_accept_note_is_on_the_status_page_before_and_after_publishing(client, correction):
    editor = factories.editor()
    copy = corrections.correction_accept(correction=correction, user=editor, note="谢谢，已改。")
    page = client.get(correction.get_absolute_url()).content.decode()
    assert 'id="correction-note">谢谢，已改。</blockquote>' in page
    workflow.guide_publish(guide=copy, user=factories.reviewer())
    page = client.get(correction.get_absolute_url()).content.decode()
    assert 'data-state="accepted"' in page and "谢谢，已改。" in page


def test_emails_link_to_KB_SITE_URL(settings, correction, django_capture_on_commit_callbacks):
    settings.KB_SITE_URL = "https://guides.example.org"
    settings.KB_SITE_URL_FROM_REQUEST = False
    with django_capture_on_commit_callbacks(execute=True):
        corrections.correction_reject(
            correction=correction, user=factories.editor(), reason="unclear"
        )
    assert f"https://guides.example.org{correction.get_absolute_url()}" in mail.outbox[0].body


def test_in_debug_without_KB_SITE_URL_emails_link_to_the_requests_host_and_port(
    client, settings, correction, django_capture_on_commit_callbacks
):
    settings.KB_SITE_URL = "http://127.0.0.1:8000"
    settings.KB_SITE_URL_FROM_REQUEST = True
    client.force_login(factories.editor())
    url = reverse("admin:kb_correction_decide", args=[correction.pk, "reject"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "unclear", "note": ""}, HTTP_HOST="127.0.0.1:8123")
    body = mail.outbox[0].body
    assert f"http://127.0.0.1:8123{correction.get_absolute_url()}" in body
    assert ":8000" not in body
