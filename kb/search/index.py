"""The search index: one ``SearchDocument`` row per published guide, kept in step by the services.

``update_guide`` runs inside the transaction that publishes, changes, verifies or archives a
guide (``kb.services.hooks``); ``rebuild`` makes every row again from the published guides.
The database keeps its own structures (FTS5 table, tsvector) in step with the rows.
"""

import re
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from kb.models import Guide, Problem, SearchDocument, Step
from kb.search.backends import get_backend
from kb.search.normalize import normalize
from kb.search.tokens import terms

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
BATCH = 500


def _terms(*texts: str) -> str:
    text = "\n".join(t for t in texts if t)
    return " ".join(terms(normalize(_URL.sub(" ", text))))


def document_for(guide: Guide, steps=None, problems=None) -> SearchDocument:
    """The index row of ``guide`` (steps and problems are read unless given)."""
    steps = guide.steps.all() if steps is None else steps
    problems = guide.problems.all() if problems is None else problems
    return SearchDocument(
        guide_id=guide.pk,
        carrier_id=guide.carrier_id,
        country_id=guide.country_id,
        task_id=guide.task_id,
        language=guide.language,
        title_terms=_terms(guide.title),
        summary_terms=_terms(guide.summary),
        body_terms=_terms(
            guide.prerequisites,
            guide.time_needed,
            guide.risk_notes,
            guide.tips,
            *(f"{s.title}\n{s.body}\n{s.tip}\n{s.warning}" for s in steps),
            *(f"{p.symptom}\n{p.cause}\n{p.solution}" for p in problems),
        ),
        indexed_at=timezone.now(),
    )


def is_searchable(guide: Guide) -> bool:
    return Guide.objects.published().filter(pk=guide.pk).exists()


def update_guide(guide) -> None:
    """Add, refresh or remove ``guide``'s index row according to whether it is published."""
    if guide is None or guide.pk is None:
        return
    with transaction.atomic():
        if not is_searchable(guide):
            SearchDocument.objects.filter(guide_id=guide.pk).delete()
            return
        fresh = Guide.objects.get(pk=guide.pk)
        document = document_for(fresh)
        fields = [f.attname for f in SearchDocument._meta.concrete_fields if not f.primary_key]
        updated = SearchDocument.objects.filter(guide_id=fresh.pk).update(
            **{name: getattr(document, name) for name in fields}
        )
        if not updated:
            document.save(force_insert=True)


@dataclass
class RebuildReport:
    documents: int
    seconds: float


def _published_batches(batch: int):
    ids = list(Guide.objects.published().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        guides = Guide.objects.filter(pk__in=chunk).order_by("pk")
        steps: dict[int, list[Step]] = {}
        problems: dict[int, list[Problem]] = {}
        for step in Step.objects.filter(guide_id__in=chunk).order_by("guide_id", "position"):
            steps.setdefault(step.guide_id, []).append(step)
        for problem in Problem.objects.filter(guide_id__in=chunk).order_by("guide_id", "position"):
            problems.setdefault(problem.guide_id, []).append(problem)
        yield [document_for(g, steps.get(g.pk, []), problems.get(g.pk, [])) for g in guides]


def rebuild(*, batch: int = BATCH, progress=None) -> RebuildReport:
    """Delete every index row and make them again from the published guides, in one transaction."""
    started = time.perf_counter()
    count = 0
    backend = get_backend()
    with transaction.atomic(), backend.bulk_load():
        SearchDocument.objects.all().delete()
        for documents in _published_batches(batch):
            SearchDocument.objects.bulk_create(documents)
            count += len(documents)
            if progress:
                progress(count)
    backend.optimize()
    return RebuildReport(documents=count, seconds=time.perf_counter() - started)
