import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from kb.models import Guide, GuideImage, ImageAsset
from kb.services import images as image_services
from kb.services import workflow
from kb.services.snapshots import replace_children, snapshot
from tests import factories, pictures

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return factories.editor("ed"), factories.reviewer("rev")


def _asset(color=(10, 20, 30)):
    data = pictures.picture(1000, 500, color=color)
    return image_services.image_store(processed=image_services.image_process(data=data))


def _publish(guide, editor, reviewer):
    workflow.guide_submit(guide=guide, user=editor)
    return workflow.guide_publish(guide=guide, user=reviewer)


def _keys(guide):
    return list(
        GuideImage.objects.filter(guide=guide)
        .order_by("step__position", "position")
        .values_list("asset__key", flat=True)
    )


def test_a_pending_change_adds_a_picture_without_touching_the_live_page(people, client):
    editor, reviewer = people
    live = _publish(factories.guide(updated_by=editor), editor, reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    asset = _asset()
    image_services.image_place(
        guide=copy, step=copy.steps.get(position=2), asset=asset, alt="设置页面截图"
    )
    assert _keys(live) == []
    page = client.get(live.get_absolute_url()).content.decode()
    assert asset.renditions[0]["webp"] not in page

    live = _publish(copy, editor, reviewer)
    assert _keys(live) == [asset.key]
    assert live.steps.get(position=2).images.get().alt == "设置页面截图"
    revision = live.revisions.order_by("-number").first()
    assert revision.data["steps"][1]["images"] == [
        {"asset": asset.key, "alt": "设置页面截图", "caption": ""}
    ]
    assert list(revision.image_assets.all()) == [asset]


def test_a_pending_change_removes_a_picture_only_when_published(people):
    editor, reviewer = people
    guide = factories.guide(updated_by=editor)
    asset = _asset()
    image_services.image_place(guide=guide, step=guide.steps.first(), asset=asset, alt="截图")
    live = _publish(guide, editor, reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    assert _keys(copy) == [asset.key]
    copy.images.all().delete()
    assert _keys(live) == [asset.key]
    live = _publish(copy, editor, reviewer)
    assert _keys(live) == []
    # revision 1 still refers to the file, so it is no orphan and is kept
    assert asset not in ImageAsset.objects.orphans()
    assert image_services.images_prune(delete=True) == []
    assert all(default_storage.exists(name) for name in asset.file_names())


def test_restoring_an_old_revision_brings_its_picture_back(people):
    editor, reviewer = people
    guide = factories.guide(updated_by=editor)
    asset = _asset()
    image_services.image_place(
        guide=guide,
        step=guide.steps.get(position=3),
        asset=asset,
        alt="第三步截图",
        caption="示意图",
    )
    live = _publish(guide, editor, reviewer)
    copy = workflow.guide_start_change(guide=live, user=editor)
    copy.images.all().delete()
    live = _publish(copy, editor, reviewer)
    assert _keys(live) == []

    restored = workflow.guide_revert(revision=live.revisions.get(number=1), user=editor)
    picture = restored.images.get()
    assert (picture.asset, picture.alt, picture.caption) == (asset, "第三步截图", "示意图")
    assert picture.step.position == 3 and picture.step.guide_id == restored.pk
    live = _publish(restored, editor, reviewer)
    assert _keys(live) == [asset.key]


def test_reordering_steps_keeps_each_picture_on_its_step(people):
    editor, _reviewer = people
    guide = factories.guide(updated_by=editor)
    asset = _asset()
    step = guide.steps.get(position=1)
    image_services.image_place(guide=guide, step=step, asset=asset, alt="截图")
    data = snapshot(guide)
    data["steps"].reverse()
    replace_children(guide, data)
    assert guide.steps.get(position=3).images.get().asset == asset


def test_orphans_are_reported_first_and_deleted_only_with_delete(
    people, django_capture_on_commit_callbacks
):
    editor, _reviewer = people
    guide = factories.guide(updated_by=editor)
    used, unused = _asset((1, 2, 3)), _asset((200, 100, 50))
    image_services.image_place(guide=guide, step=guide.steps.first(), asset=used, alt="截图")

    out = io.StringIO()
    call_command("prune_images", stdout=out)
    report = out.getvalue()
    assert unused.key[:16] in report and used.key[:16] not in report
    assert "Found 1 orphaned picture(s) (run with --delete" in report
    assert ImageAsset.objects.filter(pk=unused.pk).exists()
    assert all(default_storage.exists(name) for name in unused.file_names())

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("prune_images", "--delete", stdout=out)
    assert "Deleted 1 orphaned picture(s)." in out.getvalue()
    assert not ImageAsset.objects.filter(pk=unused.pk).exists()
    assert not any(default_storage.exists(name) for name in unused.file_names())
    assert all(default_storage.exists(name) for name in used.file_names())


def test_deleting_a_draft_leaves_its_pictures_to_the_orphan_command(people):
    editor, _reviewer = people
    guide = factories.guide(updated_by=editor)
    asset = _asset()
    image_services.image_place(guide=guide, step=guide.steps.first(), asset=asset, alt="截图")
    Guide.objects.filter(pk=guide.pk).delete()
    assert list(ImageAsset.objects.orphans()) == [asset]
