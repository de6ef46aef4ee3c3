"""Constant SQL per page, the page cache, conditional GET, and changes showing at once."""

import os
import re
import sqlite3
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
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
from tests.public_data import PUBLISHED, carrier_with_channels, published_pair, verify

pytestmark = pytest.mark.django_db

# 15: the guide page lists its carrier's contacts from abroad (one query for the channels),
# its related guides (one query) and all of its pictures (one query).
MAX_QUERIES = 15


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
        "/sitemap-guides.xml",
        "/sitemap-catalogue.xml",
    ]


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_public_page_needs_at_most_15_queries_with_a_cold_cache(
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


# --- A cheaper render -------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "hello <img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "![img](https://i.postimg.cc/x.png)",
    '<div onclick="alert(1)">x</div>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
]


def test_hostile_markdown_saved_in_every_field_reaches_the_page_neutralised_by_one_pass(
    client, monkeypatch
):
    text = "\n\n".join(HOSTILE)
    guide = factories.guide(
        status=PUBLISHED, steps=0, problems=0, prerequisites=text, risk_notes=text, tips=text
    )
    step = guide.steps.create(position=1, title="t", body=text, tip=text, warning=text)
    problem = guide.problems.create(position=1, symptom="s", cause=text, solution=text)
    assert "<script" not in step.body_html and "<script" not in problem.solution_html

    def second_pass(html):
        raise AssertionError("stored HTML was sanitized again at render time")

    from kb import markdown

    monkeypatch.setattr(markdown, "sanitize", second_pass)
    html = client.get(guide.get_absolute_url()).content.decode()
    article = html[html.index("<article") : html.index("</article>")]
    tags = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, attrs))

    Collector().feed(article)
    assert len(tags) > 20
    for tag, attrs in tags:
        assert tag not in ("script", "img", "iframe", "style"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name == "href":
                assert value.startswith(("/", "#", "http:", "https:", "mailto:")), value


def test_the_guide_page_sorts_its_children_without_joining_the_catalogue(client):
    zh, _en = published_pair()
    cold()
    with CaptureQueriesContext(connection) as context:
        client.get(zh.get_absolute_url())
    children = [
        sql
        for sql in (q["sql"] for q in context.captured_queries)
        if " FROM " in sql
        and sql.split(" FROM ", 1)[1].startswith(tuple(f'"kb_{t}"' for t in CHILD_TABLES))
    ]
    assert len(children) == len(CHILD_TABLES)
    for sql in children:
        assert "JOIN" not in sql, sql


CHILD_TABLES = ("step", "problem", "source", "guiderevision")


def test_the_header_search_box_and_feedback_form_render_once_per_language(client, monkeypatch):
    from django.template import loader

    from kb.templatetags import kb_public

    kb_public.clear_fragments()
    zh, en = published_pair()
    other = factories.guide(status=PUBLISHED, slug="other", task_obj=factories.task(slug="x"))
    rendered = []
    real = loader.render_to_string

    def counting(name, *args, **kwargs):
        rendered.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(kb_public, "render_to_string", counting)
    for guide in (zh, other, en):
        html = client.get(guide.get_absolute_url()).content.decode()
        assert 'role="search"' in html and 'name="reason"' in html
        assert f'action="{url("kb:guide_feedback", guide.language, slug=guide.slug)}"' in html
    assert rendered.count("kb/_search_box.html") == 2  # zh-hans and en
    assert rendered.count("kb/_feedback_fields.html") == 2


# --- The shared page cache, invalidated per page ----------------------------------------------


@contextmanager
def another_process():
    """What a second worker (or another instance) sees: its own page memory and what it
    learned (the stack's headers, the gap-seen keys), the same shared cache."""
    from kb.views import search

    mine = pagecache.local, pagecache._outer, pagecache._query_by_path, search._seen_here
    pagecache.local = LocMemCache("another-process", {})
    pagecache._outer, pagecache._query_by_path, search._seen_here = {}, {}, set()
    try:
        yield
    finally:
        pagecache.local, pagecache._outer, pagecache._query_by_path, search._seen_here = mine


def test_a_page_one_process_rendered_is_served_by_another_from_the_shared_cache(
    client, django_assert_max_num_queries
):
    zh, _en = published_pair()
    first = client.get(zh.get_absolute_url())
    assert first["X-Page-Cache"] == "miss"
    with another_process():
        with django_assert_max_num_queries(2):  # the page and its tag versions
            second = client.get(zh.get_absolute_url())
        assert second["X-Page-Cache"] == "shared"
        assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "hit"
    assert second.content == first.content and second["ETag"] == first["ETag"]


def test_a_page_rendered_by_another_release_is_not_served(client, monkeypatch):
    """After a deploy that changes a template, the pages the old code put in the shared cache
    are not served: the code's stamp is part of every key."""
    zh, _en = published_pair()
    assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "miss"
    monkeypatch.setattr(pagecache, "code_stamp", lambda: "next-release")
    with another_process():
        assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "miss"
        assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "hit"


def test_the_code_stamp_changes_with_a_template_and_not_without(settings, tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "kb").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>{{ guide.title }}</p>")
    settings.BASE_DIR, settings.STATIC_ROOT = tmp_path, tmp_path / "static"
    try:
        pagecache.code_stamp.cache_clear()
        before = pagecache.code_stamp()
        pagecache.code_stamp.cache_clear()
        assert pagecache.code_stamp() == before
        page.write_text("<p>{{ guide.title }} ({{ guide.carrier }})</p>")
        pagecache.code_stamp.cache_clear()
        assert pagecache.code_stamp() != before
    finally:
        pagecache.code_stamp.cache_clear()


def test_publishing_one_guide_leaves_every_other_guide_page_cached(
    client, django_capture_on_commit_callbacks
):
    zh, en = published_pair()
    other_carrier = factories.carrier(slug="att", name="AT&T")
    other = factories.guide(status=PUBLISHED, carrier_obj=other_carrier, slug="att-pause")
    for guide in (zh, en, other):
        client.get(guide.get_absolute_url())
    publish_change(zh, django_capture_on_commit_callbacks, title="暂停 T-Mobile 线路（新版）")
    with another_process():
        assert client.get(other.get_absolute_url())["X-Page-Cache"] == "shared"
        changed = client.get(zh.get_absolute_url())
        assert changed["X-Page-Cache"] == "miss"
        assert "暂停 T-Mobile 线路（新版）" in changed.content.decode()
        # The translation links to the changed guide by its title: rendered again too.
        assert client.get(en.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(other.get_absolute_url())["X-Page-Cache"] == "hit"
    assert client.get(url("kb:carrier", slug="att"))["X-Page-Cache"] == "miss"  # first visit
    assert client.get(url("kb:carrier", slug="att"))["X-Page-Cache"] == "hit"


def test_a_publish_an_archive_and_a_catalogue_edit_are_seen_at_once_by_another_process(
    client, django_capture_on_commit_callbacks
):
    zh, en = published_pair()
    carrier_page = url("kb:carrier", slug="t-mobile")
    with another_process():
        for path in (zh.get_absolute_url(), en.get_absolute_url(), carrier_page):
            client.get(path)
            assert client.get(path)["X-Page-Cache"] == "hit"

    publish_change(en, django_capture_on_commit_callbacks, title="Pause a T-Mobile line (new)")
    with another_process():
        assert "Pause a T-Mobile line (new)" in client.get(en.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        Carrier.objects.filter(slug="t-mobile").update(name="T-Mobile US")
        hooks.catalogue_changed()
    with another_process():
        assert "T-Mobile US" in client.get(carrier_page).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.guide_archive(guide=zh, user=factories.reviewer())
    with another_process():
        assert client.get(zh.get_absolute_url()).status_code == 404
        assert zh.get_absolute_url() not in client.get(carrier_page).content.decode()


def test_a_guide_moved_to_another_carrier_leaves_the_old_carrier_page_at_once(
    client, django_capture_on_commit_callbacks
):
    zh, _en = published_pair()
    old_page = url("kb:carrier", slug="t-mobile")
    factories.carrier(slug="att", name="AT&T")
    assert zh.get_absolute_url() in client.get(old_page).content.decode()
    from kb.models import Carrier as CarrierModel

    publish_change(
        zh, django_capture_on_commit_callbacks, carrier=CarrierModel.objects.get(slug="att")
    )
    assert zh.get_absolute_url() not in client.get(old_page).content.decode()


def test_a_page_rendered_while_a_change_commits_is_served_but_not_kept(client, monkeypatch):
    from kb.views import public

    zh, _en = published_pair()
    real = public.seo.graph

    def graph_while_a_change_commits(*args):
        caching.bump_content_version()  # what hooks do once a publish has committed
        return real(*args)

    monkeypatch.setattr(public.seo, "graph", graph_while_a_change_commits)
    assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "miss"
    monkeypatch.setattr(public.seo, "graph", real)
    assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(zh.get_absolute_url())["X-Page-Cache"] == "hit"


def test_pages_are_sent_gzipped_to_browsers_that_accept_it(client):
    import gzip

    zh, _en = published_pair()
    plain = client.get(zh.get_absolute_url())
    packed = client.get(zh.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert "Content-Encoding" not in plain and plain["ETag"] == packed["ETag"]


def test_a_page_of_a_verified_guide_is_kept_no_longer_than_until_it_turns_stale(client):
    zh, _en = published_pair()
    verify(zh)
    response = client.get(zh.get_absolute_url())
    assert response.status_code == 200
    entry = pagecache.local.get(pagecache._key(response.wsgi_request, ()))
    assert 0 < entry["timeout"] <= zh.reverify_days * 86400 + 1


# --- Listings that stay small ----------------------------------------------------------------


def many_carriers(count=300):
    from kb.models import Country

    us = Country.objects.get(slug="us")
    return Carrier.objects.bulk_create(
        Carrier(slug=f"many-{n:03}", name=f"Many {n:03}", country=us) for n in range(count)
    )


def test_home_and_task_pages_show_the_top_carriers_and_link_to_the_full_list(client):
    zh, _en = published_pair()
    many_carriers(300)
    for path in (url("kb:home"), url("kb:task", slug="pause")):
        html = client.get(path).content.decode()
        assert "T-Mobile" in html  # it has guides: it leads
        assert html.count("/carriers/many-") <= 11
        assert f'href="{url("kb:country", slug="us")}"' in html and "全部 301 家运营商" in html
        assert len(html.encode()) < 100_000


def test_the_country_page_lists_every_carrier_a_page_at_a_time(client):
    published_pair()
    many_carriers(300)
    base = url("kb:country", slug="us")
    first = client.get(base).content.decode()
    second = client.get(base, {"page": "2"}).content.decode()
    third = client.get(base, {"page": "3"}).content.decode()
    seen = set()
    for html in (first, second, third):
        assert len(html.encode()) < 100_000
        seen |= set(re.findall(r"/carriers/(many-\d+)/", html))
    assert len(seen) == 300
    assert 'rel="next" href="?page=2"' in first and "第 2 页，共 3 页" in second
    assert client.get(base, {"page": "2"})["X-Page-Cache"] == "hit"
    assert client.get(base, {"page": "2", "utm_source": "x"})["X-Page-Cache"] == "hit"
    for odd, target in (("1", base), ("abc", base), ("99", f"{base}?page=3")):
        response = client.get(base, {"page": odd})
        assert response.status_code == 302 and response["Location"] == target


# --- Rendered at publish time -----------------------------------------------------------------


def test_a_publish_renders_the_pages_it_touched_so_the_next_reader_gets_a_cached_page(
    client, settings, django_capture_on_commit_callbacks
):
    settings.KB_SITE_URL = "http://testserver"
    zh, en = published_pair()
    publish_change(zh, django_capture_on_commit_callbacks, title="暂停 T-Mobile 线路（新版）")
    with another_process():
        first = client.get(zh.get_absolute_url())
        assert first["X-Page-Cache"] == "shared"
        assert "暂停 T-Mobile 线路（新版）" in first.content.decode()
        for path in (
            en.get_absolute_url(),
            url("kb:carrier", slug="t-mobile"),
            url("kb:carrier", "en", slug="t-mobile"),
            url("kb:task", slug="pause"),
            url("kb:home"),
            url("kb:home", "en"),
        ):
            assert client.get(path)["X-Page-Cache"] == "shared", path


def test_prerender_pages_fills_the_shared_cache_with_every_guide_and_listing(client, settings):
    from django.core.management import call_command

    settings.KB_SITE_URL = "http://testserver"
    zh, en = published_pair()
    call_command("prerender_pages", "--shard", "1/1", stdout=open(os.devnull, "w"))
    with another_process():
        for path in (
            zh.get_absolute_url(),
            en.get_absolute_url(),
            url("kb:carrier", slug="t-mobile"),
            url("kb:country", "en", slug="us"),
            url("kb:task", slug="pause"),
            url("kb:home"),
            "/sitemap.xml",
            "/sitemap-guides.xml",
            "/sitemap-catalogue.xml",
        ):
            assert client.get(path)["X-Page-Cache"] == "shared", path


def test_every_sitemap_file_is_prerendered_with_its_page_number(client, settings, monkeypatch):
    from kb.services import prerender
    from kb.views.sitemaps import GuideSitemap

    settings.KB_SITE_URL = "http://testserver"
    zh, en = published_pair()
    monkeypatch.setattr(GuideSitemap, "limit", 1)  # two guides: two files of guides
    paths = prerender.sitemap_paths()
    assert paths == [
        "/sitemap.xml",
        "/sitemap-guides.xml",
        "/sitemap-guides.xml?p=2",
        "/sitemap-catalogue.xml",
    ]
    assert prerender.pages_prerender(paths=paths) | {"seconds": 0} == {
        "rendered": 4,
        "skipped": 0,
        "seconds": 0,
    }
    with another_process():
        first = client.get("/sitemap-guides.xml")
        second = client.get("/sitemap-guides.xml", {"p": "2"}, HTTP_ACCEPT_LANGUAGE="en")
    # One copy whatever the crawler's language: every address in it names its own.
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("shared", "shared")
    assert zh.get_absolute_url().encode() in first.content
    assert en.get_absolute_url().encode() in second.content
