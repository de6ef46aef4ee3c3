"""Search gaps: queries that found nothing, and result pages that led to no guide.

Counted per normalized query and reader language, never with anything about the reader. The
query is normalized like the index (so 註銷 and 注销 count together), e-mail addresses and long
digit runs (phone numbers, order numbers) are masked, and it is cut to 100 characters.
"""

import logging
import re

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from kb.models import SearchGap
from kb.search.normalize import normalize

logger = logging.getLogger(__name__)

_EMAIL = re.compile(r"(?<!\S)\S+@\S+")
_DIGITS = re.compile(r"\d[\d\s\-().]{3,}\d")
_SPACES = re.compile(r"\s+")
MAX_LENGTH = SearchGap._meta.get_field("query").max_length


def gap_query(text: str) -> str:
    """The form of a query kept in the search gaps: normalized, no personal data."""
    text = normalize(text or "")
    text = _EMAIL.sub("[email]", text)
    text = _DIGITS.sub(
        lambda m: "#" if sum(c.isdigit() for c in m.group()) >= 5 else m.group(), text
    )
    return _SPACES.sub(" ", text).strip()[:MAX_LENGTH].strip()


def _refresh_gap(rows) -> None:
    rows.update(gap=F("zero_results") + Greatest(F("searches") - F("clicks"), 0))


def search_gap_record(*, query: str, language: str, found: bool) -> None:
    """Count one search: a results page (a gap until a click) or a page with no result."""
    query = gap_query(query)
    if not query:
        return
    field = "searches" if found else "zero_results"
    now = timezone.now()
    try:
        with transaction.atomic():
            rows = SearchGap.objects.filter(query=query, language=language)
            if not rows.update(**{field: F(field) + 1}, last_seen=now):
                try:
                    with transaction.atomic():
                        SearchGap.objects.create(
                            query=query,
                            language=language,
                            first_seen=now,
                            last_seen=now,
                            **{field: 1},
                        )
                except IntegrityError:
                    rows.update(**{field: F(field) + 1}, last_seen=now)
            _refresh_gap(rows)
    except DatabaseError:
        logger.warning("search gap not counted", exc_info=True)


def search_gap_click(*, query: str, language: str) -> None:
    """Count a click from a results page to a guide (only for a query already counted)."""
    query = gap_query(query)
    if not query:
        return
    try:
        with transaction.atomic():
            rows = SearchGap.objects.filter(query=query, language=language, searches__gt=0)
            if rows.update(clicks=F("clicks") + 1):
                _refresh_gap(rows)
    except DatabaseError:
        logger.warning("search click not counted", exc_info=True)
