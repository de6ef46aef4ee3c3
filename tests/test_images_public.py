import re

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from kb.models import Guide
from kb.services import images as image_services
from kb.services import workflow
from kb.views import pagecache
from tests import factories, pictures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_pages():
    pagecache.clear()
    yield
    pagecache.clear()


def _asset(width=1600, color=(10, 20, 30)):
    data = pictures.picture(width, width // 2, color=color)
    return image_services.image_store(processed=image_services.image_process(data=data))


@pytest.fixture
def illustrated():
    guide = factories.guide(status=Guide.Status.PUBLISHED, steps=3, problems=1)
    first, third, problem = _asset(color=(1, 1, 1)), _asset(color=(2, 2, 2)), _asset(700)
    image_services.image_place(
        guide=guide,
        step=guide.steps.get(position=1),
        asset=first,
        alt="设置菜单的位置",
        caption="示意图：设置菜单",
    )
    image_services.image_place(
        guide=guide, step=guide.steps.get(position=3), asset=third, alt="确认页面"
    )
    image_services.image_place(
        guide=guide, problem=guide.problems.get(), asset=problem, alt="错误提示", position=2
    )
    return guide, (first, third, problem)


def _imgs(html):
    return re.findall(r"<img [^>]*>", html)


def test_public_page_shows_figures_with_sizes_srcset_alt_and_caption(client, illustrated):
    guide, (first, third, problem) = illustrated
    html = client.get(guide.get_absolute_url()).content.decode()
    figures = [img for img in _imgs(html) if "/media/images/" in img]
    assert len(figures) == 3
    one, three, trouble = figures
    assert (
        'alt="设置菜单的位置"' in one and 'alt="确认页面"' in three and 'alt="错误提示"' in trouble
    )
    assert 'width="1440" height="720"' in one
    assert 'width="700" height="350"' in trouble
    assert "loading=" not in one  # the first step's picture is on the first screen
    assert 'loading="lazy"' in three and 'loading="lazy"' in trouble
    for img in figures:
        assert ' sizes="' in img and " srcset=" in img
        for url in re.findall(r"(/media/\S+?)[ ,\"]", img):
            assert url.startswith("/media/images/")
    srcset = re.search(r'srcset="([^"]+)"', one).group(1)
    assert re.findall(r" (\d+)w", srcset) == ["480", "960", "1440"]
    assert f'<source type="image/webp" srcset="{first.srcset("webp")}"' in html
    assert "<figcaption>示意图：设置菜单</figcaption>" in html
    # every picture address is on our own host (relative), none on another
    assert not re.search(r'(src|srcset)="https?://', html)


def test_the_admin_preview_of_a_pending_change_shows_its_new_picture(client, illustrated):
    guide, _assets = illustrated
    editor = factories.editor("ed")
    copy = workflow.guide_start_change(guide=guide, user=editor)
    new = _asset(900, color=(9, 9, 9))
    image_services.image_place(guide=copy, step=copy.steps.get(position=2), asset=new, alt="新图")
    client.force_login(editor)
    from django.urls import reverse

    preview = client.get(reverse("admin:kb_guide_preview", args=[copy.pk])).content.decode()
    assert 'alt="新图"' in preview
    client.logout()
    assert 'alt="新图"' not in client.get(guide.get_absolute_url()).content.decode()


def test_pictures_cost_no_query_per_step(client, illustrated):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    guide, _assets = illustrated
    plain = factories.guide(
        status=Guide.Status.PUBLISHED, task_obj=factories.task("pause", synonyms="pause")
    )
    counts = []
    for page in (plain, guide):
        pagecache.clear()
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            assert client.get(page.get_absolute_url()).status_code == 200
        counts.append(len(context))
    assert counts[0] == counts[1]


def test_media_view_serves_pictures_for_a_year_under_their_hashed_names(client, illustrated):
    _guide, (first, _third, _problem) = illustrated
    for name in first.file_names():
        response = client.get(f"/media/{name}")
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["Content-Type"] in ("image/webp", "image/png", "image/jpeg")
        with default_storage.open(name) as handle:
            assert b"".join(response.streaming_content) == handle.read()
        again = client.get(f"/media/{name}", HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/media/images/00/00000000000000000000000000000000.webp",
        "/media/evidence/0123456789abcdef0123456789abcdef.png",
        "/media/images/../evidence/x.png",
        "/media/images/ab/not-a-hash.png",
        "/media/images/ab/0123456789abcdef0123456789abcdef.svg",
    ],
)
def test_media_view_answers_404_for_anything_but_a_stored_picture(client, path):
    assert client.get(path).status_code == 404
