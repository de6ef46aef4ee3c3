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
