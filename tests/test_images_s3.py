"""Pictures in an S3-compatible bucket (django-storages), end to end against moto's server
started here on 127.0.0.1; skipped only when moto is not installed."""

import json
import logging
import os
import subprocess
import sys
import uuid

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

moto_server = pytest.importorskip("moto.server", reason="moto is not installed")
boto3 = pytest.importorskip("boto3")
pytest.importorskip("storages.backends.s3")

from kb.models import Correction, Guide  # noqa: E402
from kb.services import corrections  # noqa: E402
from kb.services import images as image_services  # noqa: E402
from tests import factories, pictures  # noqa: E402

pytestmark = pytest.mark.django_db

# i17's port range is 8700-8799: one port per xdist worker.
PORT = 8701 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0)
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=PORT, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{PORT}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    bucket = f"kb-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": s3_endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
        "addressing_style": "path",
        "default_acl": None,
        "file_overwrite": False,
        "location": "media",
    }
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    with override_settings(STORAGES=storages):
        yield client, bucket


def _keys(client, bucket):
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_pictures_are_stored_in_the_bucket_and_served_from_our_host(client, s3_storage):
    s3, bucket = s3_storage
    assert default_storage.__class__.__name__ == "S3Storage"
    asset = image_services.image_store(
        processed=image_services.image_process(data=pictures.jpeg_with_gps(1600, 800))
    )
    assert _keys(s3, bucket) == sorted(f"media/{name}" for name in asset.file_names())
    name = asset.file_names()[0]
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    body = b"".join(response.streaming_content)
    assert body == s3.get_object(Bucket=bucket, Key=f"media/{name}")["Body"].read()
    assert b"Exif" not in body


def test_a_second_instance_reads_the_same_files(s3_storage):
    from django.conf import settings
    from django.core.files.storage import storages

    s3, bucket = s3_storage
    asset = image_services.image_store(
        processed=image_services.image_process(data=pictures.picture(900, 450))
    )
    # a new storage and client, as another instance would make from the same settings
    other_machine = storages.create_storage(settings.STORAGES["default"])
    for name in asset.file_names():
        assert other_machine.exists(name)


def test_orphans_are_deleted_from_the_bucket(s3_storage, django_capture_on_commit_callbacks):
    s3, bucket = s3_storage
    image_services.image_store(
        processed=image_services.image_process(data=pictures.picture(900, 450))
    )
    assert _keys(s3, bucket)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(image_services.images_prune(delete=True)) == 1
    assert _keys(s3, bucket) == []


def test_reader_screenshots_go_to_the_bucket_and_the_purge_removes_them(
    client, s3_storage, settings, django_capture_on_commit_callbacks
):
    from tests.test_corrections_form import form_data

    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    s3, bucket = s3_storage
    guide = factories.guide(status=Guide.Status.PUBLISHED)
    data = form_data(guide)
    data["screenshot"] = pictures.upload(pictures.picture(800, 400))
    assert client.post(guide.get_correction_url(), data).status_code == 302
    correction = Correction.objects.get()
    assert _keys(s3, bucket) == [f"media/{correction.screenshot.name}"]
    assert client.get(f"/media/{correction.screenshot.name}").status_code == 404
    corrections.correction_reject(
        correction=correction, user=factories.reviewer("rev"), reason="unclear"
    )
    with django_capture_on_commit_callbacks(execute=True):
        corrections.personal_data_purge()
    assert _keys(s3, bucket) == []


def test_kb_s3_bucket_switches_the_default_storage_to_s3():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "KB_S3_BUCKET": "guides-media",
        "KB_S3_ENDPOINT_URL": "http://127.0.0.1:8799",
        "KB_S3_PREFIX": "prod",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    default = json.loads(out)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "guides-media"
    assert default["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:8799"
    assert default["OPTIONS"]["location"] == "prod"
