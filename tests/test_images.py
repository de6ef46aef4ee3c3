import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from kb import images
from kb.models import GuideImage, ImageAsset
from kb.services import images as image_services
from tests import factories, pictures

pytestmark = pytest.mark.django_db


def _stored_files():
    found = []

    def walk(path):
        directories, files = default_storage.listdir(path)
        found.extend(f"{path}{name}" for name in files)
        for directory in directories:
            walk(f"{path}{directory}/")

    walk("")
    return found


def _store(data, **kwargs):
    return image_services.image_store(
        processed=image_services.image_process(upload=pictures.upload(data, **kwargs))
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"this is a text file, renamed picture.png\n", "format"),
        (pictures.SVG, "format"),
        (b"%PDF-1.7\n" + b"0" * 100, "format"),
        (pictures.bomb_png(), "too_many_pixels"),
        (pictures.truncated_jpeg(), "broken"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken"),
        (b"\xff\xd8\xff" + bytes(range(256)) * 4, "broken"),
    ],
    ids=[
        "zero-bytes",
        "text-renamed-png",
        "svg",
        "pdf",
        "decompression-bomb",
        "truncated",
        "png-header-only",
        "jpeg-garbage",
    ],
)
def test_refused_uploads_store_nothing_and_say_why(data, code):
    with pytest.raises(ValidationError) as caught:
        _store(data)
    assert caught.value.code == code
    assert str(caught.value.messages[0]) == str(images.MESSAGES[code])
    assert _stored_files() == []
    assert not ImageAsset.objects.exists()


def test_a_file_over_5_mb_is_refused_before_it_is_decoded():
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * images.MAX_BYTES
    with pytest.raises(ValidationError) as caught:
        _store(data)
    assert caught.value.code == "too_big"
    assert _stored_files() == []


def test_refusal_messages_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        message = str(images.MESSAGES["format"])
    assert (
        message != "Only JPEG, PNG and WebP pictures can be uploaded (not SVG, PDF or other files)."
    )


def test_gps_and_all_metadata_are_removed_and_orientation_applied():
    data = pictures.jpeg_with_gps(width=400, height=200, orientation=6)
    with Image.open(io.BytesIO(data)) as original:
        gps = original.getexif().get_ifd(0x8825)
        assert gps[2] == pictures.GPS_LATITUDE  # the test file really carries a position
    asset = _store(data, name="photo.jpg", content_type="image/jpeg")
    # orientation 6 means "rotate 90°": the stored picture stands upright, 200 x 400
    assert (asset.width, asset.height) == (200, 400)
    names = asset.file_names()
    assert names
    for name in names:
        with default_storage.open(name) as handle:
            stored = handle.read()
        assert b"Exif" not in stored and b"TestCam" not in stored
        assert b"secret comment" not in stored
        with Image.open(io.BytesIO(stored)) as image:
            assert not image.getexif()
            assert not image.getexif().get_ifd(0x8825)
            assert "exif" not in image.info and "icc_profile" not in image.info


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_each_accepted_format_gets_responsive_sizes_with_webp_and_a_fallback(fmt):
    asset = _store(pictures.picture(2000, 1000, fmt))
    assert [r["width"] for r in asset.renditions] == [480, 960, 1440]
    assert [r["height"] for r in asset.renditions] == [240, 480, 720]
    fallback = "png" if fmt == "PNG" else "jpg"
    for rendition in asset.renditions:
        assert rendition["webp"].endswith(".webp")
        assert rendition["fallback"].endswith(f".{fallback}")
    for name in asset.file_names():
        with default_storage.open(name) as handle:
            data = handle.read()
        digest = hashlib.sha256(data).hexdigest()
        assert name.endswith(f"{digest[:2]}/{digest[:32]}{name[name.rindex('.') :]}")
        with Image.open(io.BytesIO(data)) as image:
            image.verify()


def test_a_small_picture_is_never_enlarged():
    asset = _store(pictures.picture(700, 300))
    assert [r["width"] for r in asset.renditions] == [480, 700]


def test_a_transparent_picture_keeps_its_transparency_in_png():
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    asset = _store(out.getvalue())
    assert asset.has_alpha and asset.renditions[0]["fallback"].endswith(".png")


def test_the_same_upload_is_stored_once():
    data = pictures.picture(900, 400)
    first, second = _store(data), _store(data)
    assert first.pk == second.pk
    assert ImageAsset.objects.count() == 1


def _guide_and_asset(language="zh-hans"):
    guide = factories.guide(language=language)
    return guide, _store(pictures.picture(900, 400))


def test_alt_text_is_required_and_must_be_in_the_guides_language():
    guide, asset = _guide_and_asset()
    step = guide.steps.first()
    with pytest.raises(ValidationError) as caught:
        image_services.image_place(guide=guide, step=step, asset=asset, alt="")
    assert "alt" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        image_services.image_place(guide=guide, step=step, asset=asset, alt="The settings screen")
    assert "alt" in caught.value.message_dict
    placed = image_services.image_place(guide=guide, step=step, asset=asset, alt="设置页面")
    assert placed.pk


def test_english_guide_wants_english_alt_text():
    guide, asset = _guide_and_asset(language="en")
    step = guide.steps.first()
    with pytest.raises(ValidationError):
        image_services.image_place(guide=guide, step=step, asset=asset, alt="设置页面")
    image_services.image_place(guide=guide, step=step, asset=asset, alt="The settings screen")


def test_a_picture_goes_on_a_step_or_a_problem_of_the_same_guide():
    guide, asset = _guide_and_asset()
    other = factories.guide()
    with pytest.raises(ValidationError):
        image_services.image_place(guide=guide, step=other.steps.first(), asset=asset, alt="图")
    with pytest.raises(ValidationError):
        image_services.image_place(guide=guide, asset=asset, alt="图")
    placed = image_services.image_place(
        guide=guide, problem=guide.problems.first(), asset=asset, alt="问题截图", caption="示意"
    )
    assert GuideImage.objects.get(pk=placed.pk).problem_id == guide.problems.first().pk
