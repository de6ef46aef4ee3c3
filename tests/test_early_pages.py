"""Cached public pages answered before the rest of the middleware (kb.middleware.CachedPageMiddleware).

The early answer must be the answer the whole stack gives: the same bytes and headers, the same
counting (guide reads, search gaps), nothing stale after a change, and no early answer for staff
or for a page this process has not answered the whole way once.
"""

import gzip

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kb.models import SearchGap
from kb.services import feedback, hooks
from kb.views import pagecache
from tests.public_data import published_pair

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"
PER_ANSWER = {"X-Request-ID", "X-Page-Cache"}


@pytest.fixture(autouse=True)
def _cold():
    pagecache.clear()
    feedback.reads_discard()
    yield
    pagecache.clear()
    feedback.reads_discard()


def url(name, language="zh-hans", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def paths(guide, translation_):
    carrier, task = guide.carrier, guide.task
    return [
        url("kb:home"),
        url("kb:home", "en"),
        url("kb:home", "zh-hant"),
        guide.get_absolute_url(),
        translation_.get_absolute_url(),
        url("kb:carrier", slug=carrier.slug),
        url("kb:task", slug=task.slug),
        url("kb:country", slug=carrier.country.slug),
        url("kb:search") + "?q=T-Mobile",
    ]


def headers(response):
    return {name: value for name, value in response.items() if name not in PER_ANSWER}


def test_every_kind_of_page_is_answered_early_with_the_whole_stacks_bytes_and_headers():
    zh, en = published_pair()
    client = Client(HTTP_ACCEPT_ENCODING="gzip")
    for path in paths(zh, en):
        full = client.get(path)
        assert full.status_code == 200, path
        assert not getattr(full, "kb_early", False), path
        early = client.get(path)
        assert getattr(early, "kb_early", False), path
        assert early["X-Page-Cache"] == "hit"
        assert early.content == full.content, path
        assert headers(early) == headers(full), path
        assert early["Content-Length"] == str(len(early.content))
        # The stack's own headers are there: CSP, framing, language, security.
        for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Language"):
            assert name in early, (path, name)


def test_a_page_another_worker_rendered_is_answered_early_from_the_shared_cache():
    zh, _en = published_pair()
    client = Client()
    client.get(zh.get_absolute_url())  # rendered, and the stack's headers learned
    pagecache.local.clear()  # as in a worker that never rendered it
    early = client.get(zh.get_absolute_url())
    assert early.kb_early and early["X-Page-Cache"] == "shared"


def test_a_reader_without_gzip_and_a_conditional_get_are_answered_early():
    zh, _en = published_pair()
    client = Client()
    zipped = Client(HTTP_ACCEPT_ENCODING="gzip").get(zh.get_absolute_url())
    plain = client.get(zh.get_absolute_url())
    assert plain.kb_early and "Content-Encoding" not in plain
    assert plain.content == gzip.decompress(zipped.content)
    assert plain["Content-Length"] == str(len(plain.content))
    again = client.get(zh.get_absolute_url(), HTTP_IF_NONE_MATCH=plain["ETag"])
    assert again.kb_early and again.status_code == 304 and again.content == b""
    assert "Content-Security-Policy" in again


def test_a_guide_read_answered_early_is_counted():
    zh, _en = published_pair()
    Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.1").get(zh.get_absolute_url())
    early = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.2").get(zh.get_absolute_url())
    assert early.kb_early
    assert sum(n for (guide_id, _day), n in feedback._pending.items() if guide_id == zh.pk) == 2


def test_a_search_answered_early_still_counts_towards_the_search_gaps():
    published_pair()
    path = url("kb:search") + "?q=qqzz"
    Client(REMOTE_ADDR="198.51.100.1").get(path)
    early = Client(REMOTE_ADDR="198.51.100.2").get(path)
    assert early.kb_early
    assert SearchGap.objects.get().zero_results == 2


def test_search_pages_are_not_confused_by_their_query_string():
    published_pair()
    client = Client()
    first = client.get(url("kb:search") + "?q=T-Mobile")
    other = client.get(url("kb:search") + "?q=qqzz")
    assert not getattr(other, "kb_early", False)  # not cached yet: the view answers
    assert other.content != first.content
    assert client.get(url("kb:search") + "?q=T-Mobile").content == first.content


def test_an_archived_guide_is_never_answered_early():
    zh, _en = published_pair()
    client = Client()
    client.get(zh.get_absolute_url())
    assert client.get(zh.get_absolute_url()).kb_early
    zh.status = zh.Status.ARCHIVED
    zh.save()
    hooks.guide_visibility_changed(zh)
    assert client.get(zh.get_absolute_url()).status_code == 404


def test_staff_with_a_session_cookie_go_through_the_whole_stack():
    zh, _en = published_pair()
    client = Client()
    client.get(zh.get_absolute_url())
    client.cookies["sessionid"] = "anything"
    response = client.get(zh.get_absolute_url())
    assert response.status_code == 200 and not getattr(response, "kb_early", False)


def test_a_bad_host_is_answered_by_the_stack_with_400():
    zh, _en = published_pair()
    client = Client()
    client.get(zh.get_absolute_url())
    assert client.get(zh.get_absolute_url(), HTTP_HOST="evil.example").status_code == 400


def test_head_and_unprefixed_paths_go_through_the_stack():
    zh, _en = published_pair()
    client = Client()
    client.get(zh.get_absolute_url())
    head = client.head(zh.get_absolute_url())
    assert head.status_code == 200 and not getattr(head, "kb_early", False)
    response = client.get("/")
    assert response.status_code in (301, 302) and not getattr(response, "kb_early", False)
