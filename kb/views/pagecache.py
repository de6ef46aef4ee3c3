"""Whole-page caching for the public pages: in each process, and shared behind it.

A page is looked up in this process's memory, then in the shared page cache (``CACHES["pages"]``:
a database table on one machine, Redis on several), and rendered only when neither holds a
current copy. Whatever one worker renders, every worker and every instance can serve.

Invalidation is per page. A page records the tags of what it shows (``kb.caching``): every page
the catalogue (``catalogue``); a guide page ``guide:<pk>`` of the guide and of each translation
it links; a carrier page ``carrier:<pk>`` and ``countrywide:<country>``; a country page
``country:<pk>``; a task page ``task:<pk>``; the home page, the site feed and the sitemap
``guides`` (any published guide). A change bumps the tags it touches (``kb.services.hooks``),
and a cached page is served only while each of its tags still has the version it was rendered
with. Publishing one guide thus leaves every other guide's page cached.

Nothing stale is stored either: the content version (``kb.caching.content_version``, bumped
after every change, before the tags) is read before a page is rendered and again with its tags
afterwards; if it moved in between, the page is served but not kept.

Reading the tag versions is the only shared look-up for a page this process holds:

- Redis: one MGET with a client kept per process and thread.
- The database cache on SQLite (one machine): versions are remembered per process while
  ``PRAGMA data_version`` on a private connection says nothing was committed to the database
  since; after a commit they are read again (one query, with the content version).
- Any other cache: Django's cache API (``get_many``).

A bump the shared cache did not take (Redis down or hung while a change committed) is recorded
in the database (``kb.models.CacheBump``) and retried until it is taken. Every process reads
that table at most every ``KB_CONTENT_GENERATION_SECONDS`` (``generation``): a new row drops the
pages it holds in memory, and while a bump is pending no page is served from or stored in a
cache, so an archived guide is never served from a page cached before its archiving.

Every key also holds the code's stamp (``code_stamp``: a hash of the templates, the ``kb``
code, the compiled translations and the static manifest), so a deploy that changes how a page
looks never serves the pages the old code rendered; they expire unread.

Pages are kept gzipped and sent as they are to readers whose browser accepts gzip (every
browser): the shared cache holds a quarter of the bytes and nothing is compressed per request.
Answers carry a weak ETag (a hash of the page) and, where the view gives one, Last-Modified;
a matching conditional GET is answered with 304. Cached pages hold nothing specific to a
reader (no CSRF token, no messages), so every reader gets the same bytes.
"""

import gzip
import hashlib
import logging
import os
import sqlite3
import threading
import time
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

from kb import caching
from kb.traditional import html_to_traditional, is_traditional

logger = logging.getLogger(__name__)

CONTENT = caching.VERSION_KEY  # read with the tags, from the same snapshot

local = LocMemCache(
    "kb-public-pages",
    {
        "TIMEOUT": settings.KB_PAGE_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": settings.KB_LOCAL_PAGE_CACHE_ENTRIES, "CULL_FREQUENCY": 4},
    },
)


def shared():
    return caches["pages"]


class Generation:
    """What this process knows of the page-cache bumps the shared cache did not take
    (``kb.models.CacheBump``), read from the database at most every
    ``KB_CONTENT_GENERATION_SECONDS`` (one small query; 0 never reads it).

    A new row since the last look (a bump failed, in any process) drops the pages this process
    holds; while a row is pending, pages are neither served from a cache nor stored in one, and
    the bump is tried again here.
    """

    def __init__(self, pages: LocMemCache):
        self.pages = pages
        self._lock = threading.Lock()
        self.expire()

    def expire(self) -> None:
        """Read the table on the next look (after a bump failed or was retried here)."""
        self.checked_at, self.pid = None, None
        self.last_id = getattr(self, "last_id", None)
        self.pending = getattr(self, "pending", False)

    def is_pending(self) -> bool:
        every = float(settings.KB_CONTENT_GENERATION_SECONDS)
        if every <= 0:
            return False
        now = time.monotonic()
        if self.pid == os.getpid() and self.checked_at is not None:
            if now - self.checked_at < every:
                return self.pending
        with self._lock:
            if self.pid == os.getpid() and self.checked_at is not None:
                if now - self.checked_at < every:
                    return self.pending
            self._look(now)
        return self.pending

    def _look(self, now: float) -> None:
        from django.db import DatabaseError
        from django.db.models import Count, Max, Q

        from kb.models import CacheBump

        try:
            seen = CacheBump.objects.aggregate(
                last=Max("pk"), pending=Count("pk", filter=Q(done_at__isnull=True))
            )
        except DatabaseError as exc:  # the pages are checked against the cache as usual
            logger.warning("content generation not read: %s", type(exc).__name__)
            self.checked_at, self.pid = now, os.getpid()
            return
        if seen["last"] != self.last_id:
            self.pages.clear()
        self.last_id, self.pending = seen["last"], bool(seen["pending"])
        self.checked_at, self.pid = now, os.getpid()
        if self.pending:
            self._retry()

    def _retry(self) -> None:
        from kb.services import hooks

        try:
            hooks.cache_bumps_retry()
        except Exception as exc:  # still unreachable: the task and run_schedule try again
            logger.info("page-cache bump still pending: %s", type(exc).__name__)
            return
        self.pending = False
        self.checked_at, self.pid = time.monotonic(), os.getpid()


generation = Generation(local)


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

        def use(memo):
            if "value" not in memo:
                memo["value"] = fetch()
            return memo["value"]

        return self.memo(path, use)

    def memo(self, path: str, use):
        """``use(memo)`` with a dict that is emptied whenever something was committed."""
        state = self._local
        if getattr(state, "pid", None) != os.getpid() or state.path != path:
            state.pid, state.path, state.data_version = os.getpid(), path, None
            state.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        data_version = state.db.execute("PRAGMA data_version").fetchone()[0]
        now = time.monotonic()
        if data_version != state.data_version or now - state.fetched_at > self.max_age:
            # Read before fetching: a commit in between is seen on the next request.
            state.data_version, state.fetched_at, state.memo = data_version, now, {}
        return use(state.memo)


_commits = CommitWatch()


class RedisTags:
    """Tag versions read straight from Django's Redis cache with a kept client."""

    def __init__(self):
        self._local = threading.local()

    def get(self, backend, names: list[str]) -> dict[str, int]:
        state = self._local
        if getattr(state, "backend", None) is not backend or state.pid != os.getpid():
            state.client = backend._cache.get_client(CONTENT)
            state.loads = backend._cache._serializer.loads
            state.keys = {}
            state.backend, state.pid = backend, os.getpid()
        keys = state.keys
        raw = state.client.mget(
            [keys.get(n) or keys.setdefault(n, backend.make_and_validate_key(n)) for n in names]
        )
        if None in raw:
            return _versions(names)  # creates the missing ones
        return {n: int(state.loads(value)) for n, value in zip(names, raw, strict=True)}


_redis = RedisTags()


def _versions(names: list[str]) -> dict[str, int]:
    """``names`` are cache keys (the content version and ``kb:tag:...``): one read for all,
    creating those that do not exist yet."""
    backend = caches["default"]
    versions = backend.get_many(names)
    missing = [name for name in names if versions.get(name) is None]
    if missing:
        # A fresh value that never repeats an older one, even after the cache is cleared.
        fresh = dict.fromkeys(missing, time.time_ns() // 1000)
        if hasattr(backend, "add_many"):
            added = backend.add_many(fresh, timeout=None)
        else:
            added = {name for name in missing if backend.add(name, fresh[name], timeout=None)}
        versions.update((name, fresh[name]) for name in added)
        if len(added) < len(missing):  # another process made them first
            versions.update(backend.get_many([n for n in missing if n not in added]))
    return {name: int(versions[name]) for name in names}


def _sqlite_cache_file(backend) -> str | None:
    """The SQLite file that holds the database cache, unless this thread has a transaction of
    its own open (its own uncommitted writes would not show in data_version)."""
    connection = connections[router.db_for_read(backend.cache_model_class)]
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return None
    if connection.in_atomic_block:
        return None
    return str(connection.settings_dict["NAME"])


def current(names: list[str]) -> dict[str, int]:
    """The versions of cache keys ``names`` (the content version and tag keys), from one
    snapshot of the cache."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        if getattr(backend, "circuit_open", False):  # kb.cache_backends: Redis is down
            raise ConnectionError("cache unavailable")
        try:
            return _redis.get(backend, names)
        except AttributeError:  # Django's Redis backend changed shape: use its public API
            return _versions(names)
        except Exception as exc:
            if hasattr(backend, "trip"):
                backend.trip(exc)
            raise
    if isinstance(backend, DatabaseCache):
        path = _sqlite_cache_file(backend)
        if path is not None:
            return _commits.memo(path, lambda memo: _remembered(memo, names))
    return _versions(names)


def _remembered(memo: dict, names: list[str]) -> dict[str, int]:
    missing = [n for n in names if n not in memo]
    if missing:
        fetched = _versions([*missing, CONTENT])
        if CONTENT in memo and fetched[CONTENT] != memo[CONTENT]:
            memo.clear()  # a commit since the memo was filled: keep one snapshot
        memo.update(fetched)
    return {n: memo[n] for n in names}


def content_version() -> int:
    return current([CONTENT])[CONTENT]


def clear() -> None:
    """Drop every cached page, in this process and in the shared cache, and what this process
    learned of the middleware's headers."""
    local.clear()
    _outer.clear()
    _query_by_path.clear()
    try:
        shared().clear()
    except Exception as exc:
        logger.warning("shared page cache not cleared: %s", type(exc).__name__)


@cache
def code_stamp() -> str:
    """A hash of what rendered pages depend on besides the data: the templates, the ``kb``
    package's code and compiled translations, and the static manifest (the hashed names of the
    stylesheet and scripts). Read once per process (a few milliseconds), by content, so every
    instance running the same release shares the same keys."""
    base = Path(settings.BASE_DIR)
    files = [
        path
        for folder, patterns in (
            (base / "templates", ("*.html", "*.txt", "*.xml")),
            (base / "kb", ("*.py", "*.html", "*.mo")),
        )
        for pattern in patterns
        for path in folder.rglob(pattern)
    ]
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    files.append(manifest)
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(set(files)):
        try:
            content = path.read_bytes()
        except OSError:  # no manifest before collectstatic
            continue
        digest.update(
            str(path.relative_to(base) if path.is_relative_to(base) else path.name).encode()
        )
        digest.update(hashlib.sha1(content, usedforsecurity=False).digest())
    return digest.hexdigest()[:12]


def _key(request, query: tuple[str, ...], language: str | None = None) -> str:
    language = language or get_language()
    raw = f"{code_stamp()}|{request.scheme}|{request.get_host()}|{language}|{request.path}"
    if query:
        raw += "?" + "&".join(f"{name}={request.GET.get(name, '')}" for name in query)
    return "page:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def _tag_keys(tags) -> list[str]:
    return [caching.TAG_KEY + tag for tag in sorted({caching.CATALOGUE, *tags})]


def _entry_from(response, versions: dict[str, int]) -> dict:
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    body = response.content
    if is_traditional() and not getattr(response, "kb_traditional", False):
        body = html_to_traditional(body.decode(response.charset or "utf-8")).encode("utf-8")
    last_modified = getattr(response, "kb_last_modified", None)
    return {
        "gz": gzip.compress(body, 6, mtime=0),
        "etag": 'W/"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"',
        "content_type": response["Content-Type"],
        "last_modified": int(last_modified.timestamp()) if last_modified else None,
        "meta": getattr(response, "kb_meta", {}),
        "headers": {name: response[name] for name in ("X-Robots-Tag",) if name in response},
        "versions": versions,
    }


def _is_current(entry) -> bool:
    versions = entry["versions"]
    return current(list(versions)) == versions


def _answer(request, entry: dict, *, source: str):
    response = None
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
        response = get_conditional_response(
            request, etag=entry["etag"], last_modified=entry["last_modified"]
        )
    if response is None:
        if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
            response = HttpResponse(entry["gz"], content_type=entry["content_type"])
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(
                gzip.decompress(entry["gz"]), content_type=entry["content_type"]
            )
    patch_vary_headers(response, ("Accept-Encoding",))
    response["ETag"] = entry["etag"]
    if entry["last_modified"]:
        response["Last-Modified"] = http_date(entry["last_modified"])
    for name, value in entry["headers"].items():
        response[name] = value
    # Browsers and proxies may keep the page but must ask again (a 304 is small), so that a
    # published change is seen at once.
    patch_cache_control(response, no_cache=True)
    response["X-Page-Cache"] = source
    response.kb_traditional = True  # converted before it was kept, if it is a Traditional page
    return response


def _lookup(key: str):
    """(entry, where) from this process or the shared cache, if current."""
    if generation.is_pending():  # a change the shared cache did not take: render
        return None, "miss"
    entry = local.get(key)
    if entry is not None and _is_current(entry):
        return entry, "hit"
    entry = shared().get(key)
    if entry is not None and _is_current(entry):
        local.set(key, entry, timeout=_local_timeout(entry))
        return entry, "shared"
    return None, "miss"


def _local_timeout(entry) -> int:
    return min(settings.KB_PAGE_CACHE_SECONDS, entry.get("timeout") or 10**9)


def _store(key: str, response, before: int | None, view_name: str = "") -> dict:
    """The entry for ``response``; kept in both caches unless the content version moved since
    ``before`` (read before the view ran) or the cache is unreachable."""
    names = [CONTENT, *_tag_keys(getattr(response, "kb_tags", ()))]
    entry = _entry_from(response, {})
    entry["view"] = view_name
    if before is None or generation.is_pending():
        return entry
    try:
        after = current(names)
        if after[CONTENT] != before:
            return entry
        entry["versions"] = {n: after[n] for n in names if n != CONTENT}
        entry["timeout"] = min(
            settings.KB_SHARED_PAGE_CACHE_SECONDS,
            getattr(response, "kb_fresh_for", None) or settings.KB_SHARED_PAGE_CACHE_SECONDS,
        )
        shared().set(key, entry, timeout=entry["timeout"])
        local.set(key, entry, timeout=_local_timeout(entry))
    except Exception as exc:
        logger.warning("page not cached: cache unavailable (%s)", type(exc).__name__)
    return entry


def render_and_store(view, request, key, *args, **kwargs):
    """Render the page into both caches (publish-time rendering); the response."""
    before = content_version()
    response = view(request, *args, **kwargs)
    if response.status_code == 200 and not response.streaming:
        _store(key, response, before, _view_name(view))
    return response


def _view_name(view) -> str:
    return f"{view.__module__}.{view.__qualname__}"


# --- Answering before the rest of the middleware (kb.middleware.CachedPageMiddleware) --------
#
# A page either cache holds is the same bytes for every reader, yet the middleware stack around
# the view (sessions, locale, CSRF, authentication, messages, CSP, framing, axes) and URL
# resolution cost about three times what finding the page does. For a GET without a session
# cookie, the middleware looks the page up first, with the key the view would use (the language
# comes from the path's prefix, as LocaleMiddleware takes it), and answers with the headers the
# rest of the stack added to the same view's pages in this process, learned from a full answer.
# Until it has seen one, or for a page either cache lacks, the request goes the whole way.

#: ``served`` of each view that caches its pages, by name (kept in each entry as ``view``).
_views: dict[str, object] = {}
#: The query-string parameters a path's page depends on, for the views that name any (the
#: search and country pages), learned from full answers; other paths have none.
_query_by_path: dict[str, tuple[str, ...]] = {}
#: (language, view) -> the headers the middleware between this one and the view added.
_outer: dict[tuple[str, str], list[tuple[str, str]]] = {}
_MAX_LEARNED_PATHS = 20_000


def answer_early(request):
    """The cached page for ``request`` (a GET without a session cookie), or None to let the
    request go through the stack."""
    from django.core.exceptions import DisallowedHost
    from django.utils import translation

    language = translation.get_language_from_path(request.path_info)
    if language is None:
        return None
    try:
        key = _key(request, _query_by_path.get(request.path, ()), language)
        entry, source = _lookup(key)
    except DisallowedHost:
        return None  # the stack answers 400
    except Exception:  # the cache is down: the view serves uncached (and says so)
        return None
    # The view, if the request goes on to it, does not look again.
    request.kb_page_lookup = (key, entry, source)
    if entry is None:
        return None
    view_name = entry["view"]  # every entry names its view (_store)
    outer = _outer.get((language, view_name))
    if outer is None:
        return None
    translation.activate(language)
    request.LANGUAGE_CODE = language
    response = _answer(request, entry, source=source)
    for name, value in outer:
        response[name] = value
    if response.status_code == 200:
        response["Content-Length"] = str(len(response.content))
    response.kb_early = True
    served = _views.get(view_name)
    if served is not None:
        served(request, entry["meta"])
    return response


def learn(request, response) -> None:
    """Remember what the stack added to a cached page's full answer (``answer_early``)."""
    view_name = getattr(response, "kb_page_view", None)
    if view_name is None or response.status_code != 200 or response.cookies:
        return
    from django.utils import translation

    language = translation.get_language_from_path(request.path_info)
    if language is None or getattr(request, "LANGUAGE_CODE", None) != language:
        return
    if response.kb_page_query:
        if len(_query_by_path) >= _MAX_LEARNED_PATHS:
            _query_by_path.clear()
        _query_by_path[request.path] = response.kb_page_query
    inner = response.kb_page_headers
    _outer[(language, view_name)] = [
        (name, value)
        for name, value in response.items()
        if name.lower() != "content-length" and inner.get(name) != value
    ]


def cached_page(view=None, *, served=None, query=(), language=None):
    """Serve a public GET view from the page caches, with conditional GET.

    The view says what the page shows with ``response.kb_tags`` (``catalogue`` is implied) and
    may bound how long it stays right with ``response.kb_fresh_for`` (seconds). ``query`` names
    the query-string parameters the page depends on (all others are ignored, so that tracking
    parameters neither split the cache nor reach the page). ``served(request, meta)``, if given,
    is called for every page answered (200 or 304) with the ``kb_meta`` the view set.
    ``language`` fixes the key's language for a page that is the same in every language (the
    sitemap, outside the language prefix): one entry, whatever the reader's Accept-Language.
    """
    if view is None:
        return lambda view: cached_page(view, served=served, query=query, language=language)
    name = _view_name(view)
    _views[name] = served

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = _key(request, query, language)
        try:
            looked = getattr(request, "kb_page_lookup", None)
            if looked is not None and looked[0] == key:
                entry, source = looked[1], looked[2]  # by CachedPageMiddleware, just now
            else:
                entry, source = _lookup(key)
            before = content_version() if entry is None else None
        except Exception as exc:  # the cache is down: serve uncached, never fail
            logger.warning("page cache unavailable: %s", type(exc).__name__)
            entry, source, before = None, "miss", None
        if entry is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            entry = _store(key, response, before, name)
        response = _answer(request, entry, source=source)
        response.kb_page_view, response.kb_page_query = name, tuple(query)
        response.kb_page_headers = dict(response.items())
        if served is not None and request.method == "GET":
            served(request, entry["meta"])
        return response

    wrapper.kb_render_and_store = lambda request, *a, **kw: render_and_store(
        view, request, _key(request, query, language), *a, **kw
    )
    return wrapper
