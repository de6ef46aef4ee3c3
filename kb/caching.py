"""One content version for the public pages.

Every public page cached in full or in part keys its cache entry on this version, and every
change a reader could see (a publish, an archive, a verification, a catalogue edit) moves it on,
so that a cached page is never older than the content behind it.
"""

import time

from django.core.cache import cache

VERSION_KEY = "kb:content-version"


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh value that never repeats an older one, even after the cache is cleared.
        version = time.time_ns() // 1000
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return int(version)


def bump_content_version() -> int:
    try:
        return cache.incr(VERSION_KEY)
    except ValueError:
        version = time.time_ns() // 1000
        cache.set(VERSION_KEY, version, timeout=None)
        return version


# --- Tags: what a cached page shows ------------------------------------------------------------
# Every cached public page records the version of each tag it was rendered with ("catalogue",
# "guide:<pk>", "carrier:<pk>", ...); a change bumps the tags it touches (kb.services.hooks), and
# a page is served only while all its tags keep the versions it recorded.

TAG_KEY = "kb:tag:"
CATALOGUE = "catalogue"


def tag_versions(tags, backend=None) -> dict[str, int]:
    """The current version of each tag (created on first use), with one read for all."""
    backend = backend or cache
    keys = {TAG_KEY + tag: tag for tag in tags}
    found = backend.get_many(list(keys))
    versions = {}
    for key, tag in keys.items():
        version = found.get(key)
        if version is None:
            version = time.time_ns() // 1000
            if not backend.add(key, version, timeout=None):
                version = backend.get(key, version)
        versions[tag] = int(version)
    return versions


def bump_tags(tags) -> None:
    """Move every tag in ``tags`` to a version it never had (the clock, in microseconds);
    raises when the cache did not take them all."""
    version = time.time_ns() // 1000
    failed = cache.set_many({TAG_KEY + tag: version for tag in set(tags)}, timeout=None)
    if failed or getattr(cache, "circuit_open", False):  # kb.cache_backends skips writes
        raise ConnectionError(f"cache did not take {len(failed or tags)} tag version(s)")


def bump(tags) -> None:
    """The content version first, then the tags: a page rendered while they move is then never
    stored with the new tag versions and the old content (see pagecache). Raises when the
    shared cache did not take it (kb.services.hooks records and retries it)."""
    bump_content_version()
    bump_tags(tags)


def catalogue_version() -> int:
    return tag_versions([CATALOGUE])[CATALOGUE]


def caches_empty() -> None:
    """Empty every configured cache, after the database was put back from a backup.

    Pages, tag versions and the content version may describe data the restore took away; with
    all of them gone, each running process re-renders what it serves (a tag or content version
    is re-created from the clock, so it never matches one a kept page recorded). In Redis only
    this site's keys (its key prefix) are deleted: the task queue in the same database stays.
    """
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    for alias in caches.settings:
        backend = caches[alias]
        if isinstance(backend, RedisCache):
            client = backend._cache.get_client(write=True)
            pattern = backend.make_key("*")
            for keys in _batches(client.scan_iter(match=pattern, count=1000), 1000):
                client.delete(*keys)
        else:
            backend.clear()


def _batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
