import pytest

from kb.models import Guide, GuideImage, ImageAsset
from kb.services.demo import load_demo
from kb.views import pagecache

pytestmark = pytest.mark.django_db


def test_demo_guides_carry_our_own_diagrams_labelled_as_diagrams(client):
    load_demo()
    guide = Guide.objects.published().get(slug="t-mobile-activate-esim", language="zh-hans")
    pictures = list(GuideImage.objects.filter(guide=guide).order_by("step__position"))
    assert [p.step.position for p in pictures] == [1, 4]
    assert all(p.alt.startswith("示意图") and "示意图" in p.caption for p in pictures)
    revision = guide.revisions.get()
    assert set(revision.image_assets.all()) == {p.asset for p in pictures}
    assert GuideImage.objects.values("guide").distinct().count() == 2
    assert ImageAsset.objects.count() == 2  # the same diagram in two guides is stored once
    pagecache.clear()
    html = client.get(guide.get_absolute_url()).content.decode()
    assert html.count('<figure class="guide-figure">') == 2

    load_demo()  # idempotent
    assert GuideImage.objects.count() == 4 and ImageAsset.objects.count() == 2
