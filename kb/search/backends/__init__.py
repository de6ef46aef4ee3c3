"""The search backends: one interface, one implementation per database engine."""

from django.db import connections

from kb.search.backends.base import Clause, SearchBackend


def get_backend(using: str = "default") -> SearchBackend:
    vendor = connections[using].vendor
    if vendor == "sqlite":
        from kb.search.backends.sqlite import SQLiteBackend

        return SQLiteBackend(using)
    if vendor == "postgresql":
        from kb.search.backends.postgres import PostgresBackend

        return PostgresBackend(using)
    raise NotImplementedError(f"No search backend for the {vendor} database.")


__all__ = ["Clause", "SearchBackend", "get_backend"]
