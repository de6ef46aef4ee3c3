"""Django's Redis cache with a circuit breaker, so that Redis down or hung degrades the site
instead of failing it.

The first error (refused, reset, or past the short ``socket_timeout``) opens the breaker for
``KB_CACHE_RETRY_SECONDS``: until then this process does not try Redis at all, so a hung server
costs one timeout per process and period, not one per cache call. Reads answer "not cached",
writes are skipped. ``incr`` raises instead, because its callers need to know: the rate limits
then count in the database, a content-version bump is retried (kb.services.hooks).
"""

import logging
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class CacheUnavailable(ConnectionError):
    """The cache did not answer (or its breaker is open)."""


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._open_until = 0.0

    @property
    def circuit_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, exc: BaseException | None = None) -> None:
        if not self.circuit_open:
            logger.warning(
                "cache unavailable (%s): not used for %ss",
                type(exc).__name__ if exc else "error",
                settings.KB_CACHE_RETRY_SECONDS,
            )
        self._open_until = time.monotonic() + float(settings.KB_CACHE_RETRY_SECONDS)

    def _guarded(self, call, *args, fallback=None):
        if self.circuit_open:
            return fallback
        try:
            return call(*args)
        except Exception as exc:  # redis errors, socket timeouts, refused connections
            self.trip(exc)
            return fallback

    def _required(self, call, *args):
        if self.circuit_open:
            raise CacheUnavailable("cache breaker open")
        try:
            return call(*args)
        except ValueError:  # a missing key, not an outage
            raise
        except Exception as exc:
            self.trip(exc)
            raise CacheUnavailable(str(exc)) from exc

    def get(self, key, default=None, version=None):
        return self._guarded(super().get, key, default, version, fallback=default)

    def get_many(self, keys, version=None):
        return self._guarded(super().get_many, keys, version, fallback={})

    def has_key(self, key, version=None):
        return self._guarded(super().has_key, key, version, fallback=False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().add, key, value, timeout, version, fallback=False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().set, key, value, timeout, version, fallback=None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().set_many, data, timeout, version, fallback=list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().touch, key, timeout, version, fallback=False)

    def delete(self, key, version=None):
        return self._guarded(super().delete, key, version, fallback=False)

    def delete_many(self, keys, version=None):
        return self._guarded(super().delete_many, keys, version, fallback=None)

    def clear(self):
        return self._guarded(super().clear, fallback=False)

    def incr(self, key, delta=1, version=None):
        return self._required(super().incr, key, delta, version)
