"""The database cache's cull: only rows that expire count and are culled, never the content and
tag versions (kb/dbcache.py)."""

import pytest
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import DEFAULT_DB_ALIAS, connection

from kb.dbcache import UpsertDatabaseCache

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def small_cache(settings):
    settings.KB_CACHE_CULL_EVERY = 1  # look at the count on every write
    # A table of its own: with Redis configured (CI's PostgreSQL pass) kb_cache does not exist.
    maker = CreateCacheTable()
    maker.verbosity = 0
    maker.create_table(DEFAULT_DB_ALIAS, "kb_cull_test", dry_run=False)
    cache = UpsertDatabaseCache(
        "kb_cull_test",
        {"KEY_PREFIX": "cull-test", "OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}},
    )
    yield cache
    cache.clear()


def rows(prefix):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cache_key FROM kb_cull_test WHERE cache_key LIKE %s", [f"%{prefix}%"]
        )
        return {key.rsplit(":", 1)[-1] for (key,) in cursor.fetchall()}


def test_versions_that_never_expire_are_never_culled_nor_counted(small_cache):
    small_cache.add_many({f"tag-{n}": n for n in range(30)}, timeout=None)
    for n in range(30):
        small_cache.set(f"tag-set-{n}", n, timeout=None)
    for n in range(25):
        small_cache.set(f"page-{n}", "x", timeout=600 + n)
    kept = rows("cull-test")
    assert {f"tag-{n}" for n in range(30)} <= kept
    assert {f"tag-set-{n}" for n in range(30)} <= kept
    pages = {key for key in kept if key.startswith("page-")}
    # The expiring rows were held near MAX_ENTRIES, the ones expiring first culled first.
    assert 0 < len(pages) <= 11
    assert "page-24" in pages and "page-0" not in pages


def test_expired_rows_go_first(small_cache):
    for n in range(8):
        small_cache.set(f"old-{n}", "x", timeout=-1)  # already expired
    for n in range(8):
        small_cache.set(f"new-{n}", "x", timeout=600)
    kept = rows("cull-test")
    assert {f"new-{n}" for n in range(8)} <= kept
    assert not any(key.startswith("old-") for key in kept)
