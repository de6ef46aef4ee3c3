"""Django's database cache with one statement per write.

Django's ``DatabaseCache`` counts every row of its table before each write (to know when to
cull), then selects the row, then inserts or updates it: three statements, and with a page for
each of 100,000 guides in the table the count costs more than the write. Here ``set`` and
``add`` are one upsert each (``INSERT ... ON CONFLICT``, SQLite and PostgreSQL alike), and the
count (and the cull) runs on about one write in ``CULL_EVERY``. Reads are Django's.
"""

import base64
import pickle
import random
from datetime import UTC, datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, router
from django.utils.timezone import now as tz_now

CULL_EVERY = 200


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
            if random.random() < 1 / CULL_EVERY:  # noqa: S311 - not for security
                cursor.execute(f"SELECT COUNT(*) FROM {table}")
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
