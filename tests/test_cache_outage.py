"""Search, the correction form and feedback keep working when Redis is down or hung: they
degrade (no page cache, limits counted another way), never answer 500, and a hung Redis costs
at most its short socket timeout."""

import socket
import threading
import time

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from kb import caching
from kb.models import Correction, Guide, GuideFeedback
from kb.services import spam
from kb.views import pagecache
from tests import factories

pytestmark = pytest.mark.django_db

CLOSED_PORT = 8491  # in this branch's port range; nothing listens on it
HUNG_PORT = 8492


def redis_caches(port: int) -> dict:
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    location = f"redis://127.0.0.1:{port}/4"
    return {
        name: {
            "BACKEND": "kb.cache_backends.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"kb-outage-{name}",
            "OPTIONS": options,
        }
        for name in ("default", "pages")
    }


@pytest.fixture
def hung_redis():
    """A server that accepts connections and never answers: a hung Redis."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", HUNG_PORT))
    server.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield HUNG_PORT
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def guide(settings):
    settings.KB_CORRECTION_MIN_SECONDS = 0
    settings.KB_CORRECTION_RATE = "2/h"
    pagecache.local.clear()
    return factories.guide(status=Guide.Status.PUBLISHED, steps=2)


def exercise(guide):
    """Search, a page, three corrections and an answer; the time each took."""
    client = Client(HTTP_USER_AGENT="Mozilla/5.0")
    timings = {}
    started = time.perf_counter()
    search = client.get("/zh-hans/search/", {"q": "注销 T-Mobile"})
    timings["search"] = time.perf_counter() - started
    assert search.status_code == 200
    started = time.perf_counter()
    page = client.get(guide.get_absolute_url())
    timings["page"] = time.perf_counter() - started
    assert page.status_code == 200
    for n in range(3):
        data = {
            "kind": "outdated",
            "step": "",
            "proposed_text": f"第 {n} 次修改",
            "evidence_url": "",
            "tried_on": "",
            "plan_type": "",
            "email": "",
            "website": "",
            "started": spam.form_token(guide.pk, now=time.time() - 60),
        }
        started = time.perf_counter()
        response = client.post(guide.get_correction_url(), data)
        timings[f"correction {n}"] = time.perf_counter() - started
        assert response.status_code == 302
    with translation.override(guide.language):
        url = reverse("kb:guide_feedback", kwargs={"slug": guide.slug})
    started = time.perf_counter()
    response = client.post(url, {"helpful": "yes"})
    timings["feedback"] = time.perf_counter() - started
    assert response.status_code == 302
    return timings


def check_stored():
    statuses = list(Correction.objects.order_by("pk").values_list("status", flat=True))
    # The limit (2/h) still holds, counted in the database.
    assert statuses == [Correction.Status.RECEIVED, Correction.Status.RECEIVED, "spam"]
    assert GuideFeedback.objects.count() == 1


def test_with_redis_down_every_reader_path_works(guide):
    with override_settings(CACHES=redis_caches(CLOSED_PORT)):
        timings = exercise(guide)
        check_stored()
    assert max(timings.values()) < 5, timings


def test_with_redis_hung_every_reader_path_answers_within_a_short_timeout(guide, hung_redis):
    with override_settings(CACHES=redis_caches(hung_redis)):
        timings = exercise(guide)
        check_stored()
    # One socket timeout (0.5 s) opens the breaker; later calls skip the cache at once.
    assert sum(timings.values()) < 8, timings


def test_a_failed_content_version_bump_is_retried(monkeypatch):
    calls = []
    real = caching.bump_content_version

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("cache down")
        return real()

    monkeypatch.setattr(caching, "bump_content_version", flaky)
    from kb.services import hooks

    before = caching.content_version()
    hooks._bump(["guide:1"])
    assert len(calls) == 3
    assert caching.content_version() != before


def test_a_bump_that_keeps_failing_drops_this_processes_pages(monkeypatch):
    from kb.services import hooks

    pagecache.local.set("some-page", {"html": "old"})

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caching, "bump_content_version", down)
    hooks._bump(["guide:1"])
    assert pagecache.local.get("some-page") is None


def test_the_breaker_closes_again_once_redis_answers(settings):
    settings.KB_CACHE_RETRY_SECONDS = 0.2
    with override_settings(CACHES=redis_caches(CLOSED_PORT)):
        backend = caches["default"]
        assert backend.get("x", "fallback") == "fallback"
        assert backend.circuit_open
        time.sleep(0.3)
        assert not backend.circuit_open
