"""Importing existing articles as draft guides, with a report per file.

A file becomes a draft (or refreshes the draft it became before, found by its path or by its
content hash) only while no editor has touched that draft; anything else is reported, never
overwritten. ``dry_run`` runs the very same code and rolls the transaction back.
"""

import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kb.importing.detection import Catalogue, Detection, detect
from kb.importing.parsing import Article, parse_article
from kb.importing.promo import strip_promotion
from kb.importing.reading import ArticleError, read_article
from kb.models import Guide, Language
from kb.services.snapshots import replace_children
from kb.services.workflow import guide_record_created

CREATED, UPDATED, FAILED = "created", "updated", "failed"
ORIGIN_MAX = Guide._meta.get_field("origin_file").max_length
SLUG_MAX = 80
EDIT_GRACE = timedelta(seconds=5)
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass
class ImportReport:
    file: str
    status: str = FAILED
    carrier: str | None = None
    country: str | None = None
    task: str | None = None
    steps: int = 0
    problems: int = 0
    notes: int = 0
    stripped: list[str] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    guide: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def detect_language(text: str) -> str:
    cjk = len(_CJK.findall(text))
    return Language.ZH_HANS if cjk > len(_LATIN_WORD.findall(text)) else Language.EN


def slug_for(title: str, content_hash: str) -> str:
    """An ASCII slug from an ASCII title; Chinese titles get ``import-<hash8>``."""
    if not _CJK.search(title):
        slug = re.sub(r"[-_]+", "-", slugify(title)).strip("-")
        if len(slug) > SLUG_MAX:
            slug = slug[:SLUG_MAX].rsplit("-", 1)[0]
        if len(slug) >= 3:
            return slug
    return f"import-{content_hash[:8]}"


def origin_of(path: Path) -> str:
    origin = str(path.resolve())
    return origin if len(origin) <= ORIGIN_MAX else "…" + origin[-(ORIGIN_MAX - 1) :]


def guides_import(
    *, paths: list[Path], language: str | None = None, dry_run: bool = False
) -> list[ImportReport]:
    catalogue = Catalogue.load()
    return [
        guide_import_file(path=path, catalogue=catalogue, language=language, dry_run=dry_run)
        for path in paths
    ]


def guide_import_file(
    *,
    path: Path,
    catalogue: Catalogue | None = None,
    language: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Read, clean, parse and detect one article, then save it as a draft (unless it fails)."""
    report = ImportReport(file=str(path))
    try:
        source = read_article(path)
    except ArticleError as exc:
        report.error = str(exc)
        return report

    cleaned = strip_promotion(source.text)
    report.stripped = cleaned.summary
    article = parse_article(cleaned.text, fallback_title=path.stem)
    detection = detect(catalogue or Catalogue.load(), article.title, cleaned.text)
    _describe(report, article, detection)
    if detection.error:
        report.error = detection.error
        return report

    try:
        with transaction.atomic():
            guide, status = _save_draft(
                article=article,
                detection=detection,
                language=language or detect_language(cleaned.text),
                origin=origin_of(path),
                content_hash=source.sha256,
            )
            if dry_run:
                transaction.set_rollback(True)
    except ArticleError as exc:
        report.error = str(exc)
    except ValidationError as exc:
        report.error = _("The draft is not valid: %(reason)s") % {"reason": " ".join(exc.messages)}
    except DatabaseError as exc:
        report.error = _("The draft could not be saved: %(reason)s") % {"reason": exc}
    else:
        report.status = status
        report.guide = guide.pk if not (dry_run and status == CREATED) else None
    return report


def _describe(report: ImportReport, article: Article, detection: Detection) -> None:
    report.carrier = detection.carrier.slug if detection.carrier else None
    report.country = detection.country.slug if detection.country else None
    report.task = detection.task.slug if detection.task else None
    report.steps = len(article.steps)
    report.problems = len(article.problems)
    report.notes = article.notes
    report.warnings = list(detection.warnings)
    if not article.steps:
        report.warnings.append(_("No steps found; add them before submitting the guide."))


def _previous_import(origin: str, content_hash: str) -> Guide | None:
    imported = Guide.objects.originals().exclude(origin_hash="").order_by("-imported_at", "-pk")
    return (
        imported.filter(origin_file=origin).first()
        or imported.filter(origin_hash=content_hash).first()
    )


def edited_since_import(guide: Guide) -> bool:
    """True once anyone but the importer has worked on the guide."""
    if guide.status != Guide.Status.DRAFT or guide.updated_by_id or guide.submitted_by_id:
        return True
    if guide.imported_at and guide.updated_at and guide.updated_at - guide.imported_at > EDIT_GRACE:
        return True
    return guide.events.exclude(actor=None).exists()


def _save_draft(
    *, article: Article, detection: Detection, language: str, origin: str, content_hash: str
) -> tuple[Guide, str]:
    guide = _previous_import(origin, content_hash)
    if guide is not None:
        guide = Guide.objects.select_for_update().get(pk=guide.pk)
        if edited_since_import(guide):
            raise ArticleError(
                _(
                    "Not imported: guide #%(id)s made from this file has since been edited or "
                    "moved on from draft, so it is left as it is."
                )
                % {"id": guide.pk}
            )
    status = UPDATED if guide is not None else CREATED
    source_changed = guide is None or guide.origin_hash != content_hash
    guide = guide or Guide(status=Guide.Status.DRAFT)

    guide.carrier = detection.carrier
    guide.country = detection.country
    guide.task = detection.task
    guide.language = language
    guide.title = article.title
    guide.slug = slug_for(article.title, content_hash)
    guide.summary = article.summary
    guide.prerequisites = article.prerequisites
    guide.risk_notes = article.risk_notes
    guide.tips = article.tips
    guide.origin_file = origin
    guide.origin_hash = content_hash
    guide.imported_at = timezone.now()
    guide.full_clean()
    guide.save()

    replace_children(
        guide,
        {
            "steps": [asdict(step) for step in article.steps],
            "problems": [asdict(problem) for problem in article.problems],
        },
    )
    if source_changed:
        note = (
            _("Imported from %(file)s") if status == CREATED else _("Re-imported from %(file)s")
        ) % {"file": origin}
        guide_record_created(guide=guide, user=None, imported=True, note=note)
    return guide, status
