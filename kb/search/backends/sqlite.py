"""SQLite: an external-content FTS5 table (``kb_search_fts``) over ``kb_searchdocument``.

Migration 0007 creates it with the ``unicode61`` tokenizer (the terms are already segmented and
normalized by ``kb.search.tokens``), triggers that keep it in step with the rows, and an
``fts5vocab`` table (``kb_search_vocab``) for term statistics.
"""

from django.db import DatabaseError

from kb.search.backends.base import DF_CAP, SearchBackend


def _group(terms) -> str:
    return "(" + " OR ".join(f'"{term}"' for term in terms) + ")"


class SQLiteBackend(SearchBackend):
    vendor = "sqlite"

    def _match(self, clause, limit):
        # FTS5 walks its doclists in rowid order, so the LIMIT ends the walk early.
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM kb_search_fts WHERE kb_search_fts MATCH %s "
                "ORDER BY rowid DESC LIMIT %s",
                [" AND ".join(_group(group) for group in clause), limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def _document_count(self, cursor) -> int:
        cursor.execute("SELECT count(*) FROM kb_search_fts_docsize")
        return cursor.fetchone()[0]

    def _document_frequencies(self, terms):
        placeholders = ", ".join(["%s"] * len(terms))
        with self.connection.cursor() as cursor:
            total = self._document_count(cursor)
            if not total:
                return {}
            cursor.execute(
                f"SELECT term, doc FROM kb_search_vocab WHERE term IN ({placeholders})", terms
            )
            return {term: min(doc, DF_CAP) / total for term, doc in cursor.fetchall()}

    def _known_terms(self, terms):
        placeholders = ", ".join(["%s"] * len(terms))
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term FROM kb_search_vocab WHERE term IN ({placeholders})", terms
            )
            return {row[0] for row in cursor.fetchall()}

    def document_count(self) -> int:
        with self.connection.cursor() as cursor:
            return self._document_count(cursor)

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("INSERT INTO kb_search_fts(kb_search_fts) VALUES ('optimize')")
            # Statistics let the planner look published guides up by id, not by status.
            cursor.execute("ANALYZE")

    def size_bytes(self) -> int | None:
        with self.connection.cursor() as cursor:
            try:
                cursor.execute(
                    "SELECT sum(pgsize) FROM dbstat "
                    "WHERE name = 'kb_searchdocument' OR name GLOB 'kb_search_fts?*'"
                )
            except DatabaseError:
                return None
            return cursor.fetchone()[0]
