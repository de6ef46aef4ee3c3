"""The source watch: fetch every page that a published guide cites, keep its main text, and
flag the guides whose cited text changed since they were last verified.

The hash only nominates: an editor reads the diff and either confirms that the change matters
(readers then see "being re-checked" until the guide is verified again) or accepts the new text
as the baseline. Verifying a guide accepts every current text as its baseline.
"""

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kb.models import Guide, Source, SourceBaseline, SourcePage
from kb.services import hooks
from kb.sources import fetch as fetching
from kb.sources.extract import main_text, text_hash

logger = logging.getLogger(__name__)

State = SourceBaseline.State
PageStatus = SourcePage.Status
LOCK_KEY = "sourcewatch:running"
LOCK_SECONDS = 6 * 3600


class WatchBusy(Exception):
    """Another watch is running (one at a time keeps the per-host pace)."""


@dataclass
class WatchReport:
    pages: int = 0
    requests: int = 0
    unchanged: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    gone: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # [url, detail]
    refused: list = field(default_factory=list)  # [url, detail]
    guides_flagged: list = field(default_factory=list)  # slugs
    dry_run: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _cited_urls(guide_slug: str | None) -> dict[str, set[int]]:
    sources = Source.objects.filter(guide__in=Guide.objects.published())
    if guide_slug:
        sources = sources.filter(guide__slug=guide_slug)
    cited = defaultdict(set)
    for url, guide_id in sources.values_list("url", "guide_id"):
        cited[url.strip()].add(guide_id)
    return cited


def _round_robin(urls) -> list[str]:
    """Interleave hosts, so that waiting for one host's pace is spent on another's pages."""
    by_host = defaultdict(list)
    for url in sorted(urls):
        by_host[urlsplit(url).hostname or ""].append(url)
    ordered, queues = [], list(by_host.values())
    while queues:
        for queue in list(queues):
            ordered.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
    return ordered


def sources_watch(
    *, guide_slug: str | None = None, dry_run: bool = False, fetcher=None
) -> WatchReport:
    """Fetch the cited pages (of one guide, or of all published guides) and record changes."""
    if not cache.add(LOCK_KEY, "1", LOCK_SECONDS):
        raise WatchBusy("another source watch is running")
    try:
        with fetcher or fetching.Fetcher() as client:
            return _watch(client, guide_slug, dry_run)
    finally:
        cache.delete(LOCK_KEY)


def _watch(client, guide_slug, dry_run) -> WatchReport:
    report = WatchReport(dry_run=dry_run)
    cited = _cited_urls(guide_slug)
    flagged = set()
    for url in _round_robin(cited):
        report.pages += 1
        page = SourcePage.objects.filter(url=url).first() or SourcePage(
            url=url, host=(urlsplit(url).hostname or "")[:255]
        )
        conditional = page.status == PageStatus.OK and page.pk
        try:
            fetched = client.fetch(
                url,
                etag=page.etag if conditional else "",
                last_modified=page.last_modified if conditional else "",
            )
            report.requests += fetched.requests
            changed = _record(page, fetched, report, dry_run)
            if not dry_run:
                flagged |= _compare(page, cited[url], changed)
        except Exception as exc:  # one odd page must not stop the watch of the others
            logger.exception("source watch: %s failed", url)
            report.failed.append([url, f"internal error: {type(exc).__name__}"])
    report.guides_flagged = sorted(
        Guide.objects.filter(pk__in=flagged).values_list("slug", flat=True)
    )
    if not dry_run:
        _remove_stale_baselines(cited, guide_slug)
    logger.info(
        "source watch: %s pages, %s changed, %s gone, %s failed, %s refused",
        report.pages,
        len(report.changed),
        len(report.gone),
        len(report.failed),
        len(report.refused),
    )
    return report


def _record(page: SourcePage, fetched, report: WatchReport, dry_run: bool) -> bool:
    """Store what the fetch found; True when the main text is new."""
    now = timezone.now()
    page.last_checked_at = now
    page.http_status = fetched.http_status
    page.detail = fetched.detail
    changed = False
    if fetched.outcome == fetching.OK:
        text = main_text(fetched.body, fetched.content_type)
        digest = text_hash(text, fetched.body)
        changed = digest != page.text_hash
        if changed and page.text_hash:
            page.text_changed_at = now
        page.text, page.text_hash = text, digest
        page.etag, page.last_modified = fetched.etag, fetched.last_modified
        page.status, page.last_ok_at = PageStatus.OK, now
        (report.changed if changed and page.pk else report.unchanged).append(page.url)
    elif fetched.outcome == fetching.NOT_MODIFIED:
        page.status, page.last_ok_at = PageStatus.OK, now
        report.unchanged.append(page.url)
    elif fetched.outcome == fetching.GONE:
        page.status = PageStatus.GONE
        report.gone.append(page.url)
    elif fetched.outcome == fetching.REFUSED:
        page.status = PageStatus.REFUSED
        report.refused.append([page.url, fetched.detail])
    else:
        page.status = PageStatus.ERROR
        report.failed.append([page.url, fetched.detail])
    if not dry_run:
        page.save()
    return changed


def _compare(page: SourcePage, guide_ids: set[int], changed: bool) -> set[int]:
    """Bring each citing guide's baseline state up to date; the guides now flagged."""
    now = timezone.now()
    flagged = set()
    baselines = {b.guide_id: b for b in SourceBaseline.objects.filter(url=page.url)}
    for guide_id in guide_ids:
        baseline = baselines.get(guide_id)
        if baseline is None:
            if page.status == PageStatus.OK:
                SourceBaseline.objects.create(
                    guide_id=guide_id,
                    url=page.url,
                    text=page.text,
                    text_hash=page.text_hash,
                    taken_at=now,
                    state=State.SAME,
                )
            elif page.status == PageStatus.GONE:
                SourceBaseline.objects.create(
                    guide_id=guide_id, url=page.url, taken_at=now, state=State.GONE
                )
                flagged.add(guide_id)
            continue
        if page.status == PageStatus.GONE:
            state = State.GONE
        elif page.status == PageStatus.OK:
            state = State.SAME if baseline.text_hash == page.text_hash else State.CHANGED
        else:
            continue  # not reachable this time: nothing learned
        if state != baseline.state:
            baseline.state, baseline.state_since = state, now
            baseline.save(update_fields=["state", "state_since"])
        if state != State.SAME:
            flagged.add(guide_id)
    return flagged


def _remove_stale_baselines(cited: dict[str, set[int]], guide_slug: str | None) -> None:
    """Baselines of pages a guide no longer cites, or of guides no longer published."""
    baselines = SourceBaseline.objects.all()
    if guide_slug:
        baselines = baselines.filter(guide__slug=guide_slug)
    keep = {(guide_id, url) for url, ids in cited.items() for guide_id in ids}
    stale = [
        pk
        for pk, guide_id, url in baselines.values_list("pk", "guide_id", "url")
        if (guide_id, url) not in keep
    ]
    if stale:
        SourceBaseline.objects.filter(pk__in=stale).delete()


# --- editors' decisions ----------------------------------------------------------------------
def sources_changed():
    """Baselines whose page changed or is gone, for the dashboard and its list."""
    return (
        SourceBaseline.objects.exclude(state=State.SAME)
        .filter(guide__in=Guide.objects.published())
        .select_related("guide")
    )


def guide_is_being_rechecked(guide) -> bool:
    return SourceBaseline.objects.filter(guide=guide, confirmed_at__isnull=False).exists()


def _pages_changed(guide) -> None:
    hooks.guide_visibility_changed(guide)


@transaction.atomic
def source_change_confirm(*, baseline: SourceBaseline, user) -> SourceBaseline:
    """The editor read the diff: the change matters. Readers see "being re-checked"."""
    if baseline.confirmed_at is None:
        baseline.confirmed_at, baseline.confirmed_by = timezone.now(), user
        baseline.save(update_fields=["confirmed_at", "confirmed_by"])
        _pages_changed(baseline.guide)
    return baseline


@transaction.atomic
def source_change_accept(*, baseline: SourceBaseline, user) -> SourceBaseline:
    """The editor read the diff: it does not affect the guide. The new text is the baseline."""
    page = SourcePage.objects.filter(url=baseline.url).first()
    was_confirmed = baseline.confirmed_at is not None
    _take(baseline, page, timezone.now())
    logger.info("source baseline %s accepted by %s", baseline.pk, user.pk)
    if was_confirmed:
        _pages_changed(baseline.guide)
    return baseline


def _take(baseline: SourceBaseline, page: SourcePage | None, now) -> None:
    if page is not None and page.status == PageStatus.OK:
        baseline.text, baseline.text_hash = page.text, page.text_hash
        state = State.SAME
    else:
        state = State.GONE if page is not None and page.status == PageStatus.GONE else State.SAME
    if state != baseline.state:
        baseline.state_since = now
    baseline.state, baseline.taken_at = state, now
    baseline.confirmed_at = baseline.confirmed_by = None
    baseline.save()


def baselines_accept(*, guide) -> bool:
    """Called when a guide is verified (which drops its cached pages): every cited page's
    current text is its new baseline. True when readers were told it was being re-checked."""
    now = timezone.now()
    urls = {url.strip() for url in guide.sources.values_list("url", flat=True)}
    pages = {p.url: p for p in SourcePage.objects.filter(url__in=urls)}
    existing = {b.url: b for b in SourceBaseline.objects.filter(guide=guide)}
    had_confirmed = any(b.confirmed_at for b in existing.values())
    for url in urls:
        page = pages.get(url)
        baseline = existing.get(url)
        if baseline is None:
            if page is None or page.status not in (PageStatus.OK, PageStatus.GONE):
                continue
            baseline = SourceBaseline(guide=guide, url=url, taken_at=now)
        _take(baseline, page, now)
    SourceBaseline.objects.filter(guide=guide).exclude(url__in=urls).delete()
    return had_confirmed


def being_rechecked():
    """An annotation for a guide queryset: an editor confirmed that a cited page changed."""
    return Exists(SourceBaseline.objects.filter(guide=OuterRef("pk"), confirmed_at__isnull=False))
