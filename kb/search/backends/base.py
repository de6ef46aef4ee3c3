import re
from collections.abc import Sequence
from contextlib import contextmanager

from django.db import connections

# A condition in conjunctive normal form: every inner list must have one term in the guide.
Clause = Sequence[Sequence[str]]

_SAFE_TERM = re.compile(r"^[^\W_]+$")
# Document frequencies are counted exactly up to this many guides, the same on every database;
# beyond it a word is common anyway and its weight barely changes.
DF_CAP = 10_000


def safe_terms(terms) -> list[str]:
    """Terms reach SQL text only through this check (letters and digits, no syntax)."""
    return [term for term in dict.fromkeys(terms) if term and _SAFE_TERM.match(term)]


class SearchBackend:
    """Retrieval over ``SearchDocument`` rows with the database's full-text index."""

    vendor = ""

    def __init__(self, using: str = "default"):
        self.using = using

    @property
    def connection(self):
        return connections[self.using]

    @contextmanager
    def retrieval(self):
        """Wrap the ``match`` calls of one search (a backend may tune the session for them)."""
        yield self

    def match(self, clause: Clause, limit: int) -> list[int]:
        """Ids of guides whose terms satisfy ``clause``, newest first, at most ``limit``.

        The index answers the condition; ranking is done by the caller, the same way on every
        database. Taking the newest ``limit`` keeps the work bounded whatever the query.
        """
        clause = [safe_terms(group) for group in clause]
        if not clause or any(not group for group in clause) or limit <= 0:
            return []
        return self._match(clause, limit)

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, float]:
        """Share of indexed guides that hold each term, from an exact count capped at DF_CAP
        (a term no guide holds is left out)."""
        terms = safe_terms(terms)
        return self._document_frequencies(terms) if terms else {}

    def known_terms(self, terms: Sequence[str]) -> set[str]:
        """The terms that occur in at least one indexed guide."""
        terms = safe_terms(terms)
        return self._known_terms(terms) if terms else set()

    def _match(self, clause, limit):
        raise NotImplementedError

    def _document_frequencies(self, terms):
        raise NotImplementedError

    def _known_terms(self, terms):
        raise NotImplementedError

    @contextmanager
    def bulk_load(self):
        """Wrap the inserts of a rebuild (inside its transaction)."""
        yield self

    def optimize(self) -> None:
        """Compact the index and refresh the planner's statistics after a rebuild."""

    def size_bytes(self) -> int | None:
        """Bytes taken by the index rows and structures, when the database can tell."""
        return None
