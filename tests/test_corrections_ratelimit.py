"""The rate limit (atomic on a shared cache, across processes) and the sender key."""

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import RequestFactory

from kb import ratelimit
from kb.models import ClientHashKey

ROOT = Path(__file__).resolve().parent.parent


# --- rates ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5/h", ratelimit.Rate(5, 3600)),
        ("10/15m", ratelimit.Rate(10, 900)),
        ("1/d", ratelimit.Rate(1, 86400)),
        (" 3/s ", ratelimit.Rate(3, 1)),
        ("0", None),
        ("", None),
    ],
)
def test_parse_rate(raw, expected):
    assert ratelimit.parse_rate(raw) == expected


@pytest.mark.parametrize("raw", ["5", "five/h", "5/y", "-1/h", "5/0h", "05/h"])
def test_bad_rates_are_a_configuration_error(raw):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(raw)


def test_a_bad_rate_setting_stops_the_app_with_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KB_"))}
    env.update(
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
        KB_CORRECTION_RATE="lots",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "KB_CORRECTION_RATE" in lines[0], result.stderr


# --- counting in one process ------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("strategy", ["auto", "slots"])
def test_limit_allows_exactly_the_rate_on_the_configured_cache(strategy):
    rate = ratelimit.Rate(3, 3600)
    results = [ratelimit.hit("t", "a", rate, strategy=strategy) for _ in range(6)]
    assert results == [True, True, True, False, False, False]
    assert ratelimit.hit("t", "b", rate, strategy=strategy) is True


@pytest.mark.parametrize("strategy", ["incr", "slots"])
def test_limit_on_a_locmem_cache(strategy):
    local = LocMemCache(f"rl-{uuid.uuid4().hex}", {})
    rate = ratelimit.Rate(2, 60)
    assert [ratelimit.hit("t", "x", rate, cache=local, strategy=strategy) for _ in range(3)] == [
        True,
        True,
        False,
    ]


@pytest.mark.django_db
def test_a_new_window_starts_a_new_count(monkeypatch):
    rate = ratelimit.Rate(1, 3600)
    now = 1_800_000_000.0
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    assert ratelimit.hit("t", "w", rate) is True
    assert ratelimit.hit("t", "w", rate) is False
    now += 3600
    assert ratelimit.hit("t", "w", rate) is True


def test_no_rate_means_no_limit():
    assert all(ratelimit.hit("t", "z", None) for _ in range(50))


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_an_unreachable_cache_counts_as_limited():
    assert ratelimit.hit("t", "x", ratelimit.Rate(5, 60), cache=BrokenCache()) is False


# --- across processes -------------------------------------------------------------------------
CHILD = """
import json, sys, time
import django
django.setup()
from kb import ratelimit
limit, strategy, ident, start_at, attempts = sys.argv[1:6]
rate = ratelimit.Rate(int(limit), 3600)
while time.time() < float(start_at):
    time.sleep(0.001)
allowed = sum(ratelimit.hit("two-process", ident, rate, strategy=strategy) for _ in range(int(attempts)))
print(json.dumps({"allowed": allowed}))
"""


def _child_env(database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="localhost",
        DATABASE_URL=database_url,
        KB_CACHE_PREFIX=f"rltest-{uuid.uuid4().hex[:8]}",
        DJANGO_LOG_LEVEL="ERROR",
    )
    return env


def _shared_database_url(tmp_path):
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.sqlite3"
        env = _child_env(url)
        subprocess.run(
            [sys.executable, "manage.py", "createcachetable"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
        )
        return url
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def _strategies():
    found = ["auto", "slots"]
    if isinstance(cache, ratelimit.ATOMIC_INCR_BACKENDS):
        found.append("incr")
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("strategy", _strategies())
def test_limit_holds_across_two_processes_sharing_the_cache(tmp_path, strategy):
    database_url = _shared_database_url(tmp_path)
    env = _child_env(database_url)
    limit, attempts = 10, 25
    ident = uuid.uuid4().hex
    start_at = time.time() + 4
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(limit),
                strategy,
                ident,
                str(start_at),
                str(attempts),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    allowed = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        allowed.append(json.loads(out.strip().splitlines()[-1])["allowed"])
    assert sum(allowed) == limit, allowed


# --- the client and its key -------------------------------------------------------------------
def _request(remote="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.KB_TRUSTED_PROXIES = []
    assert ratelimit.client_ip(_request(forwarded="1.2.3.4")) == "203.0.113.7"


def test_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(settings):
    settings.KB_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    assert ratelimit.client_ip(_request(forwarded="1.2.3.4")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("127.0.0.1", "198.51.100.9", "198.51.100.9"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.9", "198.51.100.9"),
        # Two proxies: nginx (127.0.0.1) behind a load balancer (10.0.0.2).
        ("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.0.0.2", "198.51.100.9"),
        ("::ffff:127.0.0.1", "198.51.100.9", "198.51.100.9"),
        ("127.0.0.1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "10.0.0.3", "127.0.0.1"),
    ],
)
def test_trusted_proxies_name_the_client(settings, remote, forwarded, expected):
    settings.KB_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    assert ratelimit.client_ip(_request(remote=remote, forwarded=forwarded)) == expected


def test_a_bad_trusted_proxy_list_is_a_configuration_error(settings):
    settings.KB_TRUSTED_PROXIES = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="KB_TRUSTED_PROXIES"):
        ratelimit.client_ip(_request())


def test_ipv6_clients_are_keyed_by_their_64_prefix():
    assert ratelimit.network_key("2001:db8:1:2:aaaa::1") == ratelimit.network_key(
        "2001:db8:1:2::ffff"
    )
    assert ratelimit.network_key("2001:db8:1:2::1") != ratelimit.network_key("2001:db8:1:3::1")
    assert ratelimit.network_key("::ffff:198.51.100.9") == "198.51.100.9"
    assert ratelimit.network_key("junk") == "unknown"


@pytest.mark.django_db
def test_sender_key_is_a_keyed_hash_that_rotates(settings):
    settings.KB_CLIENT_HASH_ROTATE_DAYS = 7
    now = 1_800_000_000.0
    first = ratelimit.client_hash(ip="198.51.100.9", now=now)
    assert first == ratelimit.client_hash(ip="198.51.100.9", now=now + 60)
    assert first != ratelimit.client_hash(ip="198.51.100.10", now=now)
    assert "198.51.100.9" not in first
    assert first != hashlib.sha256(b"198.51.100.9").hexdigest()
    assert first != ratelimit.client_hash(ip="198.51.100.9", now=now + 8 * 86400)
    # Without the period's key the old hash cannot be made again, even with the secret key.
    ClientHashKey.objects.filter(period=ratelimit.current_period(now)).delete()
    assert first != ratelimit.client_hash(ip="198.51.100.9", now=now)
