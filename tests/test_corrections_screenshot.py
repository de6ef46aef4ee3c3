"""The reader's optional screenshot: checked and re-encoded like any picture, kept only for
staff, deleted by purge_personal_data, and never the reason a reader's text is lost."""

import io
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from kb.models import Correction, Guide
from kb.services import corrections
from tests import factories, pictures
from tests.test_corrections_form import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.KB_CORRECTION_RATE = "0"
    settings.KB_CORRECTION_GUIDE_RATE = "0"


@pytest.fixture
def guide():
    return factories.guide(status=Guide.Status.PUBLISHED, steps=3)


def _send(client, guide, screenshot, **overrides):
    data = form_data(guide, guide.steps.get(position=2), **overrides)
    data["screenshot"] = screenshot
    return client.post(guide.get_correction_url(guide.steps.get(position=2)), data)


def _evidence_files():
    try:
        return default_storage.listdir("evidence")[1]
    except FileNotFoundError:
        return []


def test_the_form_takes_a_screenshot_and_stores_it_without_metadata(client, guide):
    page = client.get(guide.get_correction_url()).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="screenshot"' in page
    shot = pictures.upload(pictures.jpeg_with_gps(1200, 600, orientation=1), "s.jpg", "image/jpeg")
    response = _send(client, guide, shot)
    assert response.status_code == 302
    correction = Correction.objects.get()
    name = correction.screenshot.name
    assert name.startswith("evidence/") and name.endswith(".jpg")
    with default_storage.open(name) as handle:
        stored = handle.read()
    assert b"Exif" not in stored and b"TestCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (1200, 600) and not image.getexif()


@pytest.mark.parametrize(
    "data", [pictures.SVG, b"not a picture", pictures.bomb_png(), pictures.truncated_jpeg()]
)
def test_a_refused_screenshot_keeps_the_readers_text_and_says_why(client, guide, data):
    text = "先在 App 里验证身份，再点“暂停线路”。这段文字不能丢。"
    response = _send(client, guide, pictures.upload(data, "s.png"), proposed_text=text)
    assert response.status_code == 400
    html = response.content.decode()
    assert text in html  # the textarea still holds what the reader typed
    assert "您输入的内容仍在下方" in html
    assert not Correction.objects.exists()
    assert _evidence_files() == []


def test_the_screenshot_has_no_public_address(client, guide):
    shot = pictures.upload(pictures.picture(800, 400))
    _send(client, guide, shot)
    correction = Correction.objects.get()
    name = correction.screenshot.name
    assert client.get(f"/media/{name}").status_code == 404
    assert name not in client.get(correction.get_absolute_url()).content.decode()
    staff_url = reverse("admin:kb_correction_screenshot", args=[correction.pk])
    assert client.get(staff_url).status_code == 302  # to the login page
    client.force_login(factories.user("no-perms"))
    assert client.get(staff_url).status_code == 403


def test_staff_see_the_screenshot_next_to_the_diff(client, guide):
    _send(client, guide, pictures.upload(pictures.picture(800, 400)))
    correction = Correction.objects.get()
    client.force_login(factories.editor("ed"))
    page = client.get(reverse("admin:kb_correction_change", args=[correction.pk])).content.decode()
    staff_url = reverse("admin:kb_correction_screenshot", args=[correction.pk])
    assert f'src="{staff_url}"' in page
    assert page.index('id="kb-diff"') < page.index('id="kb-evidence"')
    response = client.get(staff_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_purge_deletes_the_screenshot_of_a_decided_correction(
    client, guide, django_capture_on_commit_callbacks
):
    _send(client, guide, pictures.upload(pictures.picture(800, 400)))
    correction = Correction.objects.get()
    name = correction.screenshot.name
    out = StringIO()
    call_command("purge_personal_data", stdout=out)
    assert default_storage.exists(name)  # still under review: kept
    corrections.correction_reject(
        correction=correction, user=factories.reviewer("rev"), reason="unclear"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_personal_data", stdout=out)
    assert "1 screenshot(s)" in out.getvalue()
    correction.refresh_from_db()
    assert correction.screenshot.name == "" and correction.personal_data_purged_at
    assert not default_storage.exists(name)
    assert _evidence_files() == []


def test_purge_deletes_any_screenshot_older_than_the_limit(client, guide, settings):
    from datetime import timedelta

    from django.utils import timezone

    _send(client, guide, pictures.upload(pictures.picture(800, 400)))
    old = timezone.now() - timedelta(days=settings.KB_PERSONAL_DATA_DAYS + 1)
    Correction.objects.update(created_at=old)
    result = corrections.personal_data_purge()
    assert result["screenshots"] == 1
    assert Correction.objects.get().screenshot.name == ""
