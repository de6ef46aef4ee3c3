"""What must follow a change readers can see: the search index and the page caches.

Page caches are dropped per page (kb/views/pagecache.py): a change bumps the tags of what it
touches, so every other page stays cached.
"""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from kb import caching

logger = logging.getLogger(__name__)


BUMP_RETRY_DELAYS = (0.1, 0.5)


def _bump(tags, *, durable: bool = False) -> bool:
    """Move the versions of ``tags`` in the shared cache; False when it did not take them.

    An editorial change must not fail because the cache is down: the bump is retried at once,
    and if it still fails this process drops the pages it holds and, for a committed change
    (``durable``), records the bump (``CacheBump``) to be retried until the cache takes it.
    Every process reads that record (kb.views.pagecache.generation) and drops its own pages;
    until the retry succeeds no process serves a page from a cache.
    """
    for delay in (*BUMP_RETRY_DELAYS, None):
        try:
            caching.bump(tags)
            return True
        except Exception as exc:
            if delay is None:
                logger.error("page caches not dropped: cache unreachable (%s)", type(exc).__name__)
            else:
                time.sleep(delay)
    from kb.views import pagecache

    pagecache.local.clear()
    if durable:
        _bump_later(tags)
    pagecache.generation.expire()  # look again on the next request: a bump is pending
    return False


def _bump_later(tags) -> None:
    from kb import background, tasks
    from kb.models import CacheBump

    try:
        with transaction.atomic():
            CacheBump.objects.create(tags=sorted(set(tags)))
            background.enqueue(tasks.cache_bumps_retry)
    except Exception as exc:  # the database too: nothing more this process can do
        logger.error("page-cache bump not recorded for a retry: %s", type(exc).__name__)


def cache_bumps_retry(*, now=None) -> dict:
    """Move the versions of every pending ``CacheBump`` in the shared cache and mark them done;
    raises while the cache does not take them (the background task is then retried)."""
    from django.utils import timezone

    from kb.models import CacheBump

    now = now or timezone.now()
    pending = list(CacheBump.objects.filter(done_at__isnull=True).order_by("pk"))
    if not pending:
        return {"bumped": 0}
    tags = sorted({tag for row in pending for tag in row.tags})
    caching.bump(tags)
    CacheBump.objects.filter(pk__in=[row.pk for row in pending]).update(done_at=now)
    # The newest row stays: its id is the content generation every process compares.
    newest = CacheBump.objects.order_by("-pk").values_list("pk", flat=True).first()
    CacheBump.objects.filter(done_at__lt=now - timedelta(days=1)).exclude(pk=newest).delete()
    logger.info("page-cache bump retried: %s change(s), %s tag(s)", len(pending), len(tags))
    from kb.views import pagecache

    pagecache.generation.expire()
    return {"bumped": len(pending), "tags": len(tags)}


def _drop_page_caches(tags) -> None:
    # Now, so that nothing cached earlier is served again, and once more after the commit, so
    # that a page rendered from the old rows while the transaction was open is not kept either.
    # The second one is recorded and retried if the cache does not take it.
    tags = sorted(tags)
    _bump(tags)
    transaction.on_commit(lambda: _bump(tags, durable=True), robust=True)


def _place_tags(carrier_id, country_id, task_id, translation_of_id, pk) -> set[str]:
    from kb.models import Guide

    tags = {f"country:{country_id}", f"task:{task_id}"}
    tags.add(f"carrier:{carrier_id}" if carrier_id else f"countrywide:{country_id}")
    root = translation_of_id or pk
    family = Guide.objects.filter(Q(pk=root) | Q(translation_of_id=root)).values_list("pk")
    tags.update(f"guide:{member}" for (member,) in family)
    return tags


def guide_tags(guide) -> set[str]:
    """The tags of every page that shows ``guide``: its own and its translations' pages, its
    carrier (or country-wide) page, its country and task pages, and every listing of guides;
    where it is now and where it was when it was read."""
    tags = {"guides", f"guide:{guide.pk}"}
    tags |= _place_tags(
        guide.carrier_id, guide.country_id, guide.task_id, guide.translation_of_id, guide.pk
    )
    loaded = getattr(guide, "loaded_place", ())
    if len(loaded) == 4:
        tags |= _place_tags(*loaded, guide.pk)
    return tags


def _render_pages(paths) -> None:
    """Render ``paths`` into the shared page cache in the background once the change commits
    (after the page caches were dropped), so that the next reader gets a cached page."""
    from kb import background, tasks

    background.enqueue(tasks.pages_render, paths=list(dict.fromkeys(paths)))


def _render_sitemaps() -> None:
    """The sitemap files list every guide's last change, so any publish drops them all (about
    2 s to render a file of 50,000 addresses): render them again in the background. A render
    that is still waiting reads the catalogue when it runs, so a burst of publishes costs one."""
    from kb import background, tasks
    from kb.models import TaskRecord

    name = background.spec_of(tasks.sitemaps_render).name
    if not TaskRecord.objects.waiting().filter(name=name).exists():
        background.enqueue(tasks.sitemaps_render)


def guide_visibility_changed(guide) -> None:
    """Call inside the transaction that published, changed, verified or archived ``guide``."""
    from kb.search import index
    from kb.services import prerender

    index.update_guide(guide)
    _drop_page_caches(guide_tags(guide))
    _render_pages(prerender.paths_for_guide(guide))
    _render_sitemaps()


def catalogue_changed() -> None:
    """A country, carrier, channel or task changed: every page shows the catalogue. The
    listings are rendered again at once; other pages as readers ask for them."""
    from kb.services import prerender

    _drop_page_caches({caching.CATALOGUE})
    _render_pages(prerender.listing_paths())
    _render_sitemaps()
