"""PostgreSQL: a generated, weighted ``tsvector`` column (``tsv``) with a GIN index.

Migration 0007 adds the column: ``to_tsvector('simple', ...)`` over the term columns (weight A
for the title, B for the summary, C for the rest). The terms
are already segmented and normalized by ``kb.search.tokens``, so the ``simple`` configuration
keeps them as they are (Chinese included, whatever the database locale).
"""

from contextlib import contextmanager

from django.db import transaction

from kb.search.backends.base import DF_CAP, SearchBackend


def _group(terms) -> str:
    return "(" + " | ".join(f"'{term}'" for term in terms) + ")"


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    @contextmanager
    def retrieval(self):
        # A common term makes the planner prefer reading the whole table, which unpacks every
        # vector; the GIN index (a bitmap scan) never needs to. The setting is undone with the
        # savepoint (or transaction) that holds it.
        with transaction.atomic(using=self.using):
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
            try:
                yield self
            finally:
                transaction.set_rollback(True, using=self.using)

    def _match(self, clause, limit):
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT guide_id FROM kb_searchdocument WHERE tsv @@ to_tsquery('simple', %s) "
                "ORDER BY guide_id + 0 DESC LIMIT %s",
                [" & ".join(_group(group) for group in clause), limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def _document_frequencies(self, terms):
        with self.retrieval(), self.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM kb_searchdocument")
            total = cursor.fetchone()[0]
            if not total:
                return {}
            cursor.execute(
                "SELECT term, (SELECT count(*) FROM (SELECT 1 FROM kb_searchdocument "
                "WHERE tsv @@ to_tsquery('simple', '''' || term || '''') LIMIT %s) AS held) "
                "FROM unnest(%s::text[]) AS term",
                [DF_CAP, list(terms)],
            )
            return {term: held / total for term, held in cursor.fetchall() if held}

    def _known_terms(self, terms):
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT term FROM unnest(%s::text[]) AS term WHERE EXISTS ("
                "SELECT 1 FROM kb_searchdocument "
                "WHERE tsv @@ to_tsquery('simple', '''' || term || ''''))",
                [list(terms)],
            )
            return {row[0] for row in cursor.fetchall()}

    def document_count(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM kb_searchdocument")
            return cursor.fetchone()[0]

    @contextmanager
    def bulk_load(self):
        # New entries wait in the GIN index's pending list and are merged in large batches.
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL gin_pending_list_limit = '256MB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
        yield self

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            if self.connection.in_atomic_block:
                cursor.execute("ANALYZE kb_searchdocument")
                cursor.execute("ANALYZE kb_guide")
            else:
                # Outside a transaction: also clear the rows the rebuild replaced.
                cursor.execute("VACUUM ANALYZE kb_searchdocument")
                cursor.execute("ANALYZE kb_guide")

    def size_bytes(self) -> int | None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('kb_searchdocument')")
            return cursor.fetchone()[0]
