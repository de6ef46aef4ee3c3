import pytest
from django.urls import reverse

from kb.models import Guide, GuideImage, ImageAsset
from kb.services import workflow
from tests import factories, pictures
from tests.test_admin_guides import _step_form_data

pytestmark = pytest.mark.django_db


def _post(client, guide, images):
    steps = [
        {"id": s.pk, "position": s.position, "title": s.title, "body": s.body}
        for s in guide.steps.order_by("position")
    ]
    data = _step_form_data(guide, steps)
    data["images-TOTAL_FORMS"] = len(images)
    data["images-INITIAL_FORMS"] = len([i for i in images if i.get("id")])
    for index, image in enumerate(images):
        for key, value in image.items():
            data[f"images-{index}-{key}"] = value
        data[f"images-{index}-guide"] = guide.pk
    return client.post(reverse("admin:kb_guide_change", args=[guide.pk]), data)


def test_editor_uploads_a_picture_for_a_step_in_the_guide_admin(client):
    editor = factories.editor("ed")
    guide = factories.guide(steps=3)
    step = guide.steps.get(position=2)
    client.force_login(editor)
    page = client.get(reverse("admin:kb_guide_change", args=[guide.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and f'value="step:{step.pk}"' in page
    response = _post(
        client,
        guide,
        [
            {
                "place": f"step:{step.pk}",
                "upload": pictures.upload(pictures.jpeg_with_gps(), "photo.jpg", "image/jpeg"),
                "alt": "设置页面",
                "caption": "示意图",
                "position": 1,
            }
        ],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    picture = GuideImage.objects.get(guide=guide)
    assert (picture.step, picture.alt, picture.caption) == (step, "设置页面", "示意图")
    assert picture.asset.width == 200  # orientation applied


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pictures.SVG, "只能上传 JPEG、PNG 或 WebP 图片"),
        (b"", "文件为空"),
        (pictures.truncated_jpeg(), "无法读取这张图片"),
    ],
)
def test_a_refused_upload_is_explained_in_the_admin_and_nothing_is_saved(client, data, message):
    guide = factories.guide(steps=1)
    client.force_login(factories.editor("ed"))
    response = _post(
        client,
        guide,
        [
            {
                "place": f"step:{guide.steps.get().pk}",
                "upload": pictures.upload(data, "x.png"),
                "alt": "截图",
                "position": 1,
            }
        ],
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not GuideImage.objects.exists() and not ImageAsset.objects.exists()


def test_alt_text_in_the_wrong_language_is_refused_in_the_admin(client):
    guide = factories.guide(steps=1)
    client.force_login(factories.editor("ed"))
    response = _post(
        client,
        guide,
        [
            {
                "place": f"step:{guide.steps.get().pk}",
                "upload": pictures.upload(pictures.picture(600, 300)),
                "alt": "settings screen",
                "position": 1,
            }
        ],
    )
    assert response.status_code == 200
    assert "请用中文（本指南的语言）填写替代文字。" in response.content.decode()
    assert not GuideImage.objects.exists()


def test_a_published_guide_shows_its_pictures_read_only(client):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    guide = factories.guide(updated_by=editor)
    from kb.services import images as image_services

    asset = image_services.image_store(
        processed=image_services.image_process(data=pictures.picture(600, 300))
    )
    image_services.image_place(guide=guide, step=guide.steps.first(), asset=asset, alt="截图")
    workflow.guide_submit(guide=guide, user=editor)
    live = workflow.guide_publish(guide=guide, user=reviewer)
    assert live.status == Guide.Status.PUBLISHED
    client.force_login(editor)
    page = client.get(reverse("admin:kb_guide_change", args=[live.pk])).content.decode()
    assert asset.thumbnail_url in page
    assert 'name="images-0-upload"' not in page
