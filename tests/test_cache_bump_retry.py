"""A content-version bump the shared cache does not take (Redis down or hung while a change
commits) is recorded and retried, and no process serves a page cached before that change."""

from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.test import override_settings

from kb import background, caching
from kb.models import CacheBump, Guide, TaskRecord
from kb.services import hooks, workflow
from kb.views import pagecache
from tests import factories
from tests.test_cache_outage import CLOSED_PORT, redis_caches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _generation(settings):
    settings.KB_CONTENT_GENERATION_SECONDS = 1e-9  # every look reads the table
    pagecache.clear()
    pagecache.generation.expire()
    yield
    pagecache.clear()
    pagecache.generation.expire()


@pytest.fixture
def reviewer():
    return factories.reviewer("rev")


@contextmanager
def bumps_refused(monkeypatch):
    """The shared cache answers reads but does not take the bump (it went down and came back)."""

    def refused(*args, **kwargs):
        raise ConnectionError("cache down")

    with monkeypatch.context() as patch:
        patch.setattr(caching, "bump_content_version", refused)
        patch.setattr(hooks, "BUMP_RETRY_DELAYS", ())
        yield


def archive(guide, user, callbacks):
    with callbacks(execute=True):
        workflow.guide_archive(guide=guide, user=user, reason="运营商已停止这项服务")


def test_an_archived_guide_is_not_served_from_a_page_cached_before_its_bump_failed(
    client, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    guide = factories.guide(status=Guide.Status.PUBLISHED)
    url = guide.get_absolute_url()
    assert client.get(url).status_code == 200
    assert client.get(url)["X-Page-Cache"] == "hit"

    with bumps_refused(monkeypatch):
        archive(guide, reviewer, django_capture_on_commit_callbacks)
        assert CacheBump.objects.filter(done_at__isnull=True).count() == 1
        # The cached page is still "current" by the versions the cache holds, but a bump is
        # pending: the page is rendered again, and is not stored.
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 404
        assert pagecache.generation.is_pending()

    # The cache takes bumps again: the next request retries it, and caching resumes.
    assert client.get(url).status_code == 404
    assert not CacheBump.objects.filter(done_at__isnull=True).exists()
    assert not pagecache.generation.is_pending()
    other = factories.guide(status=Guide.Status.PUBLISHED)
    client.get(other.get_absolute_url())
    assert client.get(other.get_absolute_url())["X-Page-Cache"] == "hit"


def test_another_process_drops_its_pages_when_a_bump_failed_elsewhere(monkeypatch):
    """The other process is its own page memory and its own view of the table."""
    its_pages = LocMemCache("another-process", {})
    another = pagecache.Generation(its_pages)
    assert another.is_pending() is False
    its_pages.set("page:guide", {"stale": True})

    with bumps_refused(monkeypatch):
        assert hooks._bump(["guide:1"], durable=True) is False
        assert another.is_pending() is True
        assert its_pages.get("page:guide") is None
        its_pages.set("page:guide", {"rendered while pending": True})
        assert another.is_pending() is True  # the same bump: its pages stay
        assert its_pages.get("page:guide") is not None

    assert another.is_pending() is False  # it retried the bump itself
    assert CacheBump.objects.get().done_at is not None


def test_a_process_looks_at_the_table_at_most_once_per_period(settings, django_assert_num_queries):
    settings.KB_CONTENT_GENERATION_SECONDS = 3600
    another = pagecache.Generation(LocMemCache("another-process", {}))
    with django_assert_num_queries(1):
        for _ in range(5):
            another.is_pending()


def test_the_retry_task_bumps_once_the_cache_takes_it(
    reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    guide = factories.guide(status=Guide.Status.PUBLISHED)
    name = f"{hooks.__name__.replace('services.hooks', 'tasks')}.cache_bumps_retry"
    before = caching.content_version()
    with bumps_refused(monkeypatch):
        archive(guide, reviewer, django_capture_on_commit_callbacks)
    record = TaskRecord.objects.get(name=name)
    # It ran at once and failed (the cache still refused); it waits for its retry.
    assert record.status == TaskRecord.Status.WAITING and "cache down" in record.last_error
    assert caching.content_version() == before

    background.send(record.pk)  # the worker runs it again
    record.refresh_from_db()
    assert record.status == TaskRecord.Status.DONE and record.result["bumped"] == 1
    assert caching.content_version() != before
    assert not CacheBump.objects.filter(done_at__isnull=True).exists()


def test_run_schedule_retries_pending_bumps(monkeypatch):
    monkeypatch.setattr("kb.schedule.jobs", lambda: [])
    with bumps_refused(monkeypatch):
        hooks._bump(["guide:1"], durable=True)
        out = StringIO()
        call_command("run_schedule", stdout=out)
        assert "still pending" in out.getvalue()
    tag = caching.tag_versions(["guide:1"])["guide:1"]
    out = StringIO()
    call_command("run_schedule", stdout=out)
    assert "Retried 1 page-cache bump(s)." in out.getvalue()
    assert caching.tag_versions(["guide:1"])["guide:1"] != tag


def test_with_redis_down_a_publish_records_its_bump(
    reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(hooks, "BUMP_RETRY_DELAYS", ())
    guide = factories.guide(status=Guide.Status.PUBLISHED)
    with override_settings(CACHES=redis_caches(CLOSED_PORT)):
        archive(guide, reviewer, django_capture_on_commit_callbacks)
    pending = CacheBump.objects.get(done_at__isnull=True)
    assert f"guide:{guide.pk}" in pending.tags and "guides" in pending.tags


def test_tag_versions_the_cache_did_not_take_are_a_failed_bump(monkeypatch):
    monkeypatch.setattr(caching.cache, "set_many", lambda data, timeout=None: list(data))
    with pytest.raises(ConnectionError):
        caching.bump(["guide:1"])
