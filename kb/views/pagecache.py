"""Whole-page caching for the public pages, keyed on the content version.

A page is rendered once per content version (kb/caching.py) and kept in the memory of the
process that rendered it. Any publish, archive, verification or catalogue edit moves the version
on, so the next request in every process renders afresh: nothing stale is ever served, and old
entries simply fall out of use.

Reading the version is the only shared look-up per request, so it is kept cheap:

- Redis: one GET with a client kept per process and thread (Django's cache API builds a client
  for every call, which cost more than the rest of a cached answer).
- The database cache on SQLite (one machine): reading it would open a database connection for
  every request. Instead each process keeps one private SQLite connection and asks it for
  ``PRAGMA data_version``, which changes whenever anything is committed to the database by any
  connection; while it has not changed, the version read last is still the current one.
- Any other cache: Django's cache API.

Answers carry a weak ETag (a hash of the page) and, where the view gives one, Last-Modified;
a matching conditional GET is answered with 304 without rendering. Cached pages hold nothing
specific to a reader (no CSRF token, no messages), so every reader gets the same bytes.
"""

import hashlib
import logging
import os
import sqlite3
import threading
import time
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language

from kb import caching

logger = logging.getLogger(__name__)

_pages = LocMemCache(
    "kb-public-pages",
    {
        "TIMEOUT": settings.KB_PAGE_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 500, "CULL_FREQUENCY": 4},
    },
)


class CommitWatch:
    """Tells whether anything was committed to a SQLite database file since the last look.

    One private connection per process and thread (re-opened after a fork), used only for
    ``PRAGMA data_version``: microseconds, no file to open.
    """

    def __init__(self):
        self._local = threading.local()

    #: Ask ``fetch`` again after this long anyway (a database file replaced under a running
    #: server keeps its old data_version on the old file).
    max_age = 30.0

    def remembered(self, path: str, fetch):
        """``fetch()``'s last answer while nothing was committed to ``path``, else a new one."""
        state = self._local
        if getattr(state, "pid", None) != os.getpid() or state.path != path:
            state.pid, state.path, state.data_version, state.value = os.getpid(), path, None, None
            state.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        data_version = state.db.execute("PRAGMA data_version").fetchone()[0]
        now = time.monotonic()
        if (
            data_version != state.data_version
            or state.value is None
            or now - state.fetched_at > self.max_age
        ):
            # Read before fetching: a commit in between is seen on the next request.
            state.data_version, state.fetched_at = data_version, now
            state.value = fetch()
        return state.value


_commits = CommitWatch()


class RedisVersion:
    """The content version read straight from Django's Redis cache with a kept client."""

    def __init__(self):
        self._local = threading.local()

    def get(self, backend) -> int:
        state = self._local
        if getattr(state, "backend", None) is not backend or state.pid != os.getpid():
            key = backend.make_and_validate_key(caching.VERSION_KEY)
            state.client = backend._cache.get_client(key)
            state.loads = backend._cache._serializer.loads
            state.key, state.backend, state.pid = key, backend, os.getpid()
        raw = state.client.get(state.key)
        if raw is None:
            return caching.content_version()  # creates it
        return int(state.loads(raw))


_redis = RedisVersion()


def _sqlite_cache_file(backend) -> str | None:
    """The SQLite file that holds the database cache, unless this thread has a transaction of
    its own open (its own uncommitted writes would not show in data_version)."""
    connection = connections[router.db_for_read(backend.cache_model_class)]
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return None
    if connection.in_atomic_block:
        return None
    return str(connection.settings_dict["NAME"])


def content_version() -> int:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        try:
            return _redis.get(backend)
        except AttributeError:  # Django's Redis backend changed shape: use its public API
            return caching.content_version()
    if isinstance(backend, DatabaseCache):
        path = _sqlite_cache_file(backend)
        if path is not None:
            return _commits.remembered(path, caching.content_version)
    return caching.content_version()


def clear() -> None:
    _pages.clear()


def _key(version: int, request) -> str:
    raw = f"{request.scheme}|{request.get_host()}|{get_language()}|{request.path}"
    return f"{version}:{hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()}"


def _entry_from(response) -> dict:
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    body = response.content
    last_modified = getattr(response, "kb_last_modified", None)
    return {
        "body": body,
        "content_type": response["Content-Type"],
        "etag": 'W/"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"',
        "last_modified": int(last_modified.timestamp()) if last_modified else None,
        "meta": getattr(response, "kb_meta", {}),
        "headers": {name: response[name] for name in ("X-Robots-Tag",) if name in response},
    }


def _answer(request, entry: dict, *, cache_hit: bool):
    response = None
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
        response = get_conditional_response(
            request, etag=entry["etag"], last_modified=entry["last_modified"]
        )
    if response is None:
        response = HttpResponse(entry["body"], content_type=entry["content_type"])
    response["ETag"] = entry["etag"]
    if entry["last_modified"]:
        response["Last-Modified"] = http_date(entry["last_modified"])
    for name, value in entry["headers"].items():
        response[name] = value
    # Browsers and proxies may keep the page but must ask again (a 304 is small), so that a
    # published change is seen at once.
    patch_cache_control(response, no_cache=True)
    response["X-Page-Cache"] = "hit" if cache_hit else "miss"
    return response


def cached_page(view=None, *, served=None):
    """Serve a public GET view from the page cache, with conditional GET.

    ``served(request, meta)``, if given, is called for every page answered (200 or 304) with
    the ``kb_meta`` the view set when it rendered the page.
    """
    if view is None:
        return lambda view: cached_page(view, served=served)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        try:
            key = _key(content_version(), request)
        except Exception as exc:  # the shared cache is down: serve uncached, never fail
            logger.warning("page cache unavailable: %s", type(exc).__name__)
            key = None
        entry = _pages.get(key) if key else None
        cache_hit = entry is not None
        if entry is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            entry = _entry_from(response)
            if key:
                _pages.set(key, entry)
        response = _answer(request, entry, cache_hit=cache_hit)
        if served is not None and request.method == "GET":
            served(request, entry["meta"])
        return response

    return wrapper
