import os

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command


def _separate_redis_per_worker():
    """xdist workers each get a Redis database of their own: a test's cache.clear() (FLUSHDB)
    or content-version bump must not reach into another worker's tests."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    number = int(worker[2:]) + 1
    for cache_settings in settings.CACHES.values():
        if "RedisCache" not in cache_settings["BACKEND"]:
            continue
        base = cache_settings["LOCATION"].rstrip("/")
        head, _, tail = base.rpartition("/")
        base = head if tail.isdigit() and head.count("/") >= 2 else base
        cache_settings["LOCATION"] = f"{base}/{number % 16}"


_separate_redis_per_worker()

# Test users log in with a password; hashing it the production way costs most of a test's time.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_sessionstart(session):
    """Collect static files once per run (not in xdist workers): pages are rendered with the
    production manifest storage, as they are served."""
    if not hasattr(session.config, "workerinput"):
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Cached pages and counters must not leak from one test into the next."""
    uses_db = request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(
        request.fixturenames
    )
    if not uses_db and "DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
        yield
        return
    for alias in settings.CACHES:
        caches[alias].clear()
    _forget_seen()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()
    _forget_seen()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language, as a fresh worker does: a language
    activated by one test (a request, ``translation.activate``) must not leak into the next."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path_factory):
    """Uploaded files of a test go to a directory of its own, never into var/media."""
    if "s3_storage" in request.fixturenames:
        yield
        return
    from django.test import override_settings

    root = tmp_path_factory.mktemp("media")
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": "/media/"},
        },
    }
    with override_settings(STORAGES=storages, MEDIA_ROOT=root):
        yield


def _forget_seen():
    from kb.views.search import forget_seen

    forget_seen()
