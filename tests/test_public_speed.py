"""Constant SQL per page, the page cache, conditional GET, and changes showing at once."""

import sqlite3

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.http import http_date

from kb import caching
from kb.models import Carrier, Task
from kb.services import feedback, hooks, workflow
from kb.views import pagecache
from tests import factories
from tests.public_data import PUBLISHED, carrier_with_channels, published_pair

pytestmark = pytest.mark.django_db

MAX_QUERIES = 13  # the guide page: 12, and one for its related guides


@pytest.fixture(autouse=True)
def _cold():
    pagecache.clear()
    feedback.reads_discard()  # no read-count write falls inside a measured request
    yield
    pagecache.clear()


def cold():
    """Nothing cached: no page, and not even the content version."""
    pagecache.clear()
    cache.clear()


def url(name, language="zh-hans", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def queries_for(client, path):
    cold()
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(context)


def public_paths(guide):
    return [
        url("kb:home", guide.language),
        url("kb:country", guide.language, slug=guide.country.slug),
        url("kb:carrier", guide.language, slug=guide.carrier.slug),
        url("kb:task", guide.language, slug=guide.task.slug),
        guide.get_absolute_url(),
        url("kb:feed", guide.language),
        url("kb:carrier_feed", guide.language, slug=guide.carrier.slug),
        "/sitemap.xml",
    ]


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_public_page_needs_at_most_13_queries_with_a_cold_cache(
    client, django_assert_max_num_queries, language
):
    zh, en = published_pair()
    guide = zh if language == "zh-hans" else en
    for path in public_paths(guide):
        cold()
        with django_assert_max_num_queries(MAX_QUERIES):
            assert client.get(path).status_code == 200


def test_a_cached_page_costs_at_most_one_query_for_the_content_version(
    client, django_assert_max_num_queries
):
    zh, _en = published_pair()
    for path in public_paths(zh):
        client.get(path)
        with django_assert_max_num_queries(1):
            response = client.get(path)
        assert response.status_code == 200


def test_the_guide_page_needs_as_many_queries_for_30_steps_as_for_3(
    client, django_assert_num_queries
):
    short = factories.guide(status=PUBLISHED, steps=3, problems=1, slug="short")
    long = factories.guide(
        status=PUBLISHED,
        steps=30,
        problems=10,
        slug="long",
        task_obj=factories.task(slug="pause"),
    )
    expected = queries_for(client, short.get_absolute_url())
    cold()
    with django_assert_num_queries(expected):
        client.get(long.get_absolute_url())


def test_the_carrier_page_needs_as_many_queries_for_50_guides_as_for_1(
    client, django_assert_num_queries
):
    lonely = factories.carrier(slug="lonely", name="Lonely")
    factories.guide(status=PUBLISHED, carrier_obj=lonely)
    busy = carrier_with_channels(slug="busy", name="Busy")
    for n in range(25):
        task = factories.task(slug=f"task-{n}", name_zh=f"任务 {n}", name_en=f"Task {n}")
        zh = factories.guide(status=PUBLISHED, carrier_obj=busy, task_obj=task, steps=1)
        factories.guide(
            status=PUBLISHED,
            carrier_obj=busy,
            task_obj=task,
            language="en",
            translation_of=zh,
            steps=1,
        )
    expected = queries_for(client, url("kb:carrier", slug="lonely"))
    cold()
    with django_assert_num_queries(expected):
        client.get(url("kb:carrier", slug="busy"))


def test_home_and_task_pages_need_as_many_queries_for_20_carriers_as_for_1(
    client, django_assert_num_queries
):
    factories.guide(status=PUBLISHED)
    home = queries_for(client, url("kb:home"))
    task = queries_for(client, url("kb:task", slug="cancel"))
    for n in range(20):
        carrier = factories.carrier(slug=f"carrier-{n}", name=f"Carrier {n}")
        factories.guide(status=PUBLISHED, carrier_obj=carrier)
    cold()
    with django_assert_num_queries(home):
        client.get(url("kb:home"))
    cold()
    with django_assert_num_queries(task):
        client.get(url("kb:task", slug="cancel"))


# --- Conditional GET --------------------------------------------------------------------------


def test_a_guide_page_sends_etag_and_last_modified_and_answers_304(client):
    zh, _en = published_pair()
    first = client.get(zh.get_absolute_url())
    assert first["ETag"].startswith('W/"')
    assert first["Last-Modified"] == http_date(zh.content_updated_at.timestamp())
    assert "no-cache" in first["Cache-Control"]
    again = client.get(zh.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = client.get(zh.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    other = client.get(zh.get_absolute_url(), HTTP_IF_NONE_MATCH='W/"something-else"')
    assert other.status_code == 200


def test_a_304_is_answered_even_after_the_page_left_this_process_memory(client):
    zh, _en = published_pair()
    etag = client.get(zh.get_absolute_url())["ETag"]
    pagecache.clear()
    assert client.get(zh.get_absolute_url(), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_head_request_gets_the_headers(client):
    zh, _en = published_pair()
    response = client.head(zh.get_absolute_url())
    assert response.status_code == 200 and response["ETag"]


# --- Changes show at once ---------------------------------------------------------------------


def publish_change(guide, django_capture_on_commit_callbacks, **changes):
    editor, reviewer = factories.editor(), factories.reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        copy = workflow.guide_start_change(guide=guide, user=editor)
        for name, value in changes.items():
            setattr(copy, name, value)
        copy.updated_by = editor
        copy.save()
        workflow.guide_submit(guide=copy, user=editor)
        return workflow.guide_publish(guide=copy, user=reviewer, note="修正第 2 步")


def test_a_published_edit_appears_at_once_and_old_etags_stop_matching(
    client, django_capture_on_commit_callbacks
):
    zh, _en = published_pair()
    before = client.get(zh.get_absolute_url())
    assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "hit"
    publish_change(zh, django_capture_on_commit_callbacks, title="暂停 T-Mobile 线路（新版）")
    after = client.get(zh.get_absolute_url(), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    html = after.content.decode()
    assert "暂停 T-Mobile 线路（新版）" in html and "修正第 2 步" in html
    home = client.get(url("kb:home")).content.decode()
    assert "暂停 T-Mobile 线路（新版）" in home


def test_a_verification_appears_at_once(client, django_capture_on_commit_callbacks):
    _zh, en = published_pair()
    assert "Not yet verified" in client.get(en.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.guide_verify(guide=en, user=factories.reviewer())
    assert "Verified on" in client.get(en.get_absolute_url()).content.decode()


def test_an_archived_guide_disappears_at_once(client, django_capture_on_commit_callbacks):
    zh, _en = published_pair()
    carrier_page = url("kb:carrier", slug="t-mobile")
    assert zh.get_absolute_url() in client.get(carrier_page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.guide_archive(guide=zh, user=factories.reviewer())
    assert client.get(zh.get_absolute_url()).status_code == 404
    assert zh.get_absolute_url() not in client.get(carrier_page).content.decode()


def test_a_carrier_edit_appears_at_once_on_its_pages(client, django_capture_on_commit_callbacks):
    zh, _en = published_pair()
    paths = (url("kb:carrier", slug="t-mobile"), url("kb:home"), zh.get_absolute_url())
    for path in paths:
        assert "T-Mobile US" not in client.get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Carrier.objects.filter(slug="t-mobile").update(name="T-Mobile US")
        hooks.catalogue_changed()
    for path in paths:
        assert "T-Mobile US" in client.get(path).content.decode(), path


def test_a_task_rename_appears_at_once_in_the_carrier_matrix(
    client, django_capture_on_commit_callbacks
):
    published_pair()
    carrier_page = url("kb:carrier", "en", slug="t-mobile")
    assert "Pause a line" in client.get(carrier_page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Task.objects.filter(slug="pause").update(name_en="Suspend a line")
        hooks.catalogue_changed()
    assert "Suspend a line" in client.get(carrier_page).content.decode()


def test_pages_are_served_without_the_cache_when_the_cache_is_down(client, monkeypatch):
    zh, _en = published_pair()

    def down():
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(caching, "content_version", down)
    response = client.get(zh.get_absolute_url())
    assert response.status_code == 200 and zh.title in response.content.decode()


def test_the_page_cache_never_stores_error_pages(client):
    assert client.get("/zh-hans/guides/not-yet/").status_code == 404
    factories.guide(status=PUBLISHED, slug="not-yet")
    cache.clear()  # publishing moves the content version on; here we do it by hand
    assert client.get("/zh-hans/guides/not-yet/").status_code == 200


def test_every_reader_gets_the_same_cached_bytes_and_no_cookie(client):
    zh, _en = published_pair()
    first = client.get(zh.get_absolute_url())
    second = Client().get(zh.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert first.content == second.content
    assert not second.cookies
    assert "Cookie" not in second.get("Vary", "")


def test_the_commit_watch_rereads_only_after_a_commit(tmp_path):
    path = str(tmp_path / "watched.sqlite3")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (n INTEGER)")
    fetched = []

    def fetch():
        fetched.append(1)
        return len(fetched)

    watch = pagecache.CommitWatch()
    assert watch.remembered(path, fetch) == 1
    assert watch.remembered(path, fetch) == 1
    writer.execute("INSERT INTO t VALUES (1)")
    assert watch.remembered(path, fetch) == 2
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (2)")
    assert watch.remembered(path, fetch) == 2
    writer.execute("COMMIT")
    assert watch.remembered(path, fetch) == 3
    assert len(fetched) == 3
    watch.max_age = 0  # a replaced database file is noticed by age alone
    assert watch.remembered(path, fetch) == 4


def test_the_version_pages_are_keyed_on_follows_every_bump_at_once():
    cache.clear()
    first = pagecache.content_version()
    assert first == caching.content_version()
    caching.bump_content_version()
    second = pagecache.content_version()
    assert second != first and second == caching.content_version()


def test_a_query_string_never_reaches_the_cached_language_links(client):
    carrier = carrier_with_channels()
    path = reverse("kb:carrier", kwargs={"slug": carrier.slug})
    poisoned = client.get(path, {"utm": "EVILMARKER"}).content.decode()
    assert "EVILMARKER" not in poisoned
    assert "EVILMARKER" not in client.get(path).content.decode()
