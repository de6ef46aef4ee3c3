"""Rate limits through Django's cache that hold across processes, and the sender key.

Limits are fixed windows ("5/h": at most 5 hits per clock hour per key). Two ways of counting,
both atomic on a cache shared by every process:

* caches whose ``incr`` is atomic (Redis, Memcached, the in-process LocMem cache): ``add`` the
  window's counter with 0, then ``incr`` it; the hit is allowed when the new value is within the
  limit (Redis ``SET NX`` + ``INCRBY``).
* every other cache, notably the database cache, whose ``incr`` is a read followed by a write
  and loses concurrent increments: one key per slot (``…:<window>:<n>`` for n < limit), taken
  with ``add``. ``add`` is an INSERT guarded by the table's primary key, so two processes can
  never both take the same slot; a hit is allowed when it takes a free slot. Taken slots form a
  prefix, so one ``get_many`` finds the first free one and usually one ``add`` takes it.

Keys include the window number and live a little longer than their window, so a key never
expires within its window (an expired row is the one case where the database cache's ``add``
is not atomic). A cache error counts as "limited" (the limit fails closed) unless the caller
asks for ``None`` to count another way (corrections count their own rows in the database).

The sender key (``client_hash``) is an HMAC of the client address, never the address itself,
with a key that rotates (``period_key``); the "did this work?" reader key uses the same keys.
X-Forwarded-For is believed only from the proxies listed in ``KB_TRUSTED_PROXIES``; with the
default (none) the header is ignored, so a spoofed header changes nothing.
"""

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import PyMemcacheCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

ATOMIC_INCR_BACKENDS = (RedisCache, PyMemcacheCache, LocMemCache)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^(?P<count>[1-9]\d*)/(?P<mult>(?:[1-9]\d*)?)(?P<unit>[smhd])$")
KEY_GRACE_SECONDS = 120

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    def __str__(self):
        return f"{self.count}/{self.seconds}s"


def parse_rate(value: str) -> Rate | None:
    """ "5/h" -> Rate(5, 3600); "10/15m" -> Rate(10, 900); "0" or "" -> None (no limit)."""
    value = (value or "").strip()
    if value in ("", "0"):
        return None
    match = _RATE_RE.match(value)
    if not match:
        raise ImproperlyConfigured(f'A rate must look like "5/h" or be "0", not {value!r}')
    mult = int(match["mult"] or 1)
    return Rate(int(match["count"]), mult * UNITS[match["unit"]])


def _uses_atomic_incr(cache) -> bool:
    return isinstance(cache, ATOMIC_INCR_BACKENDS)


def hit(
    scope: str,
    ident: str,
    rate: Rate | None,
    *,
    cache=None,
    strategy: str = "auto",
    on_error: bool | None = False,
) -> bool | None:
    """Count one hit for ``ident`` in ``scope``; True when it is within ``rate``.

    When the cache fails (down, or past its socket timeout) the answer is ``on_error``: False
    (limited) by default, None for a caller that counts another way instead."""
    if rate is None:
        return True
    cache = cache or default_cache
    window = int(time.time() // rate.seconds)
    base = f"kb:rl:{scope}:{ident}:{window}"
    timeout = rate.seconds + KEY_GRACE_SECONDS
    if strategy == "auto":
        strategy = "incr" if _uses_atomic_incr(cache) else "slots"
    try:
        if strategy == "incr":
            allowed = _hit_incr(cache, base, rate, timeout)
        else:
            allowed = _hit_slots(cache, base, rate, timeout)
    except Exception as exc:  # an unreachable cache must not let a flood through
        logger.warning("rate limit %s: cache error %s", scope, type(exc).__name__)
        return on_error
    # A cache that answers "not there" while it is down (kb.cache_backends) did not count.
    if getattr(cache, "circuit_open", False):
        logger.warning("rate limit %s: cache unavailable", scope)
        return on_error
    return allowed


def _hit_incr(cache, base, rate, timeout) -> bool:
    cache.add(base, 0, timeout)
    try:
        value = cache.incr(base)
    except ValueError:  # evicted between add and incr: start again with this hit
        cache.add(base, 1, timeout)
        return True
    return value <= rate.count


def _hit_slots(cache, base, rate, timeout) -> bool:
    keys = [f"{base}:{n}" for n in range(rate.count)]
    taken = cache.get_many(keys)
    for key in keys:
        if key in taken:
            continue
        if cache.add(key, 1, timeout):
            return True
    return False


# --- the client and its key -------------------------------------------------------------------
def _trusted_networks():
    raw = tuple(getattr(settings, "KB_TRUSTED_PROXIES", ()) or ())
    cached = _NETWORKS.get(raw)
    if cached is None:
        try:
            cached = tuple(ipaddress.ip_network(item.strip(), strict=False) for item in raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"KB_TRUSTED_PROXIES: {exc}") from None
        _NETWORKS.clear()
        _NETWORKS[raw] = cached
    return cached


_NETWORKS: dict[tuple, tuple] = {}


def _is_trusted(value: str, networks) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def client_ip(request) -> str:
    """The client address: REMOTE_ADDR, unless it is a trusted proxy (``KB_TRUSTED_PROXIES``).

    Then X-Forwarded-For is read from the right: each proxy appends the address it was
    connected from, so the client is the rightmost entry that is not itself a trusted proxy.
    Whatever a client put in the header lies to the left of that and is never believed. Django
    admin login throttling (django-axes) reads the address through this function too.
    """
    remote = (request.META.get("REMOTE_ADDR", "") or "").strip()
    networks = _trusted_networks()
    if not networks or not _is_trusted(remote, networks):
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    for candidate in reversed(forwarded):
        if not _valid_ip(candidate):
            return remote  # a broken chain: believe only the connection
        if not _is_trusted(candidate, networks):
            return candidate
    return remote


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def network_key(ip: str) -> str:
    """IPv4 addresses as they are, IPv6 addresses by their /64 (one subscriber's prefix)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def current_period(now: float | None = None) -> int:
    days = max(1, int(settings.KB_CLIENT_HASH_ROTATE_DAYS))
    return int((now if now is not None else time.time()) // (days * 86400))


def _period_salt(period: int) -> str:
    from kb.models import ClientHashKey

    key = ClientHashKey.objects.filter(period=period).first()
    if key is None:
        try:
            with transaction.atomic():
                key = ClientHashKey.objects.create(period=period, salt=secrets.token_hex(32))
        except IntegrityError:  # another process made it first
            key = ClientHashKey.objects.get(period=period)
    return key.salt


def period_key(purpose: str, *, now: float | None = None) -> bytes:
    """The HMAC key for ``purpose`` in the period of ``now``: derived from SECRET_KEY and the
    period's random salt (``ClientHashKey``). Once ``purge_personal_data`` deletes the salt,
    nothing made with it can be computed again, even with the secret key."""
    salt = _period_salt(current_period(now))
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{purpose}:{salt}".encode(), hashlib.sha256
    ).digest()


def client_hash(request=None, *, ip: str | None = None, now: float | None = None) -> str:
    """The sender key: HMAC-SHA256 of the client's network with this period's key."""
    ip = ip if ip is not None else client_ip(request)
    key = period_key("kb.client-hash", now=now)
    return hmac.new(key, network_key(ip).encode(), hashlib.sha256).hexdigest()
