"""Django's database cache with one statement per write.

Django's ``DatabaseCache`` counts every row of its table before each write (to know when to
cull), then selects the row, then inserts or updates it: three statements, and with a page for
each of 100,000 guides in the table the count costs more than the write. Here ``set`` and
``add`` are one upsert each (``INSERT ... ON CONFLICT``, SQLite and PostgreSQL alike), and the
count (and the cull) runs on about one write in ``KB_CACHE_CULL_EVERY`` (0: never, as in
the tests, whose query counts must not depend on chance). Reads are Django's.

Rows that never expire (the content version and the page-cache tag versions, one per guide,
carrier, country and task: about 120,000 at 100,000 guides) are neither counted against
``MAX_ENTRIES`` nor culled. Django's cull deletes a share of all rows whatever their expiry;
a tag version it deleted comes back as a new value, so every page carrying that tag (the
catalogue tag: every page) was rendered again, and at 100,000 guides the caches churned.
"""

import base64
import pickle
import random
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, router
from django.utils.timezone import now as tz_now

# What a row that never expires holds in ``expires`` (or later, as ``add_many`` writes it).
NEVER = datetime.max.replace(microsecond=0)


class UpsertDatabaseCache(DatabaseCache):
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._upsert(key, value, timeout, version, replace=True)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._upsert(key, value, timeout, version, replace=False)

    def _upsert(self, key, value, timeout, version, *, replace: bool) -> bool:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        now = tz_now().replace(microsecond=0)
        expires = datetime.max if timeout is None else datetime.fromtimestamp(timeout, tz=UTC)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        value = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        key_column, value_column, expires_column = (
            quote("cache_key"),
            quote("value"),
            quote("expires"),
        )
        # add() may take the place of an expired row, as Django's does.
        condition = "" if replace else f" WHERE {table}.{expires_column} < %s"
        params = [key, value, expires] + (
            [] if replace else [connection.ops.adapt_datetimefield_value(now)]
        )
        with connection.cursor() as cursor:
            every = settings.KB_CACHE_CULL_EVERY
            if every and random.random() < 1 / every:  # noqa: S311 - not for security
                never = connection.ops.adapt_datetimefield_value(NEVER)
                cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {expires_column} < %s", [never])
                count = cursor.fetchone()[0]
                if count > self._max_entries:
                    self._cull(db, cursor, now, count)
            try:
                cursor.execute(
                    f"INSERT INTO {table} ({key_column}, {value_column}, {expires_column}) "
                    f"VALUES (%s, %s, %s) ON CONFLICT ({key_column}) DO UPDATE SET "
                    f"{value_column} = EXCLUDED.{value_column}, "
                    f"{expires_column} = EXCLUDED.{expires_column}{condition}",
                    params,
                )
            except DatabaseError:
                return False
            return cursor.rowcount > 0

    def _cull(self, db, cursor, now, num):
        """Delete the expired rows, then, if still more than MAX_ENTRIES expire, the share
        1 / CULL_FREQUENCY of them that expires first; rows that never expire stay."""
        connection = connections[db]
        quote = connection.ops.quote_name
        table, expires = quote(self._table), quote("expires")
        cursor.execute(
            f"DELETE FROM {table} WHERE {expires} < %s",
            [connection.ops.adapt_datetimefield_value(now)],
        )
        remaining = num - cursor.rowcount
        if remaining <= self._max_entries:
            return
        cull = max(1, remaining // max(self._cull_frequency, 1))
        cursor.execute(
            f"DELETE FROM {table} WHERE {quote('cache_key')} IN (SELECT {quote('cache_key')} "
            f"FROM {table} WHERE {expires} < %s ORDER BY {expires} LIMIT %s)",
            [connection.ops.adapt_datetimefield_value(NEVER), cull],
        )

    def add_many(self, data: dict, timeout=DEFAULT_TIMEOUT, version=None) -> set:
        """``add`` for several keys in one statement (rows that never expire only: the
        content and tag versions); the keys that were added."""
        if not data:
            return set()
        assert timeout is None, "add_many is for keys that never expire"
        keys = {self.make_and_validate_key(key, version=version): key for key in data}
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        expires = connection.ops.adapt_datetimefield_value(datetime.max)
        rows, params = [], []
        for made, key in keys.items():
            rows.append("(%s, %s, %s)")
            value = pickle.dumps(data[key], self.pickle_protocol)
            params += [made, base64.b64encode(value).decode("latin1"), expires]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(self._table)} ({quote('cache_key')}, {quote('value')}, "
                f"{quote('expires')}) VALUES {', '.join(rows)} ON CONFLICT DO NOTHING "
                f"RETURNING {quote('cache_key')}",
                params,
            )
            return {keys[made] for (made,) in cursor.fetchall()}
