"""What must follow a change readers can see: the search index and the page caches."""

import logging

from django.db import transaction

from kb import caching

logger = logging.getLogger(__name__)


def _bump_content_version() -> None:
    # The page caches live in the cache service: if it is down there is nothing cached to drop,
    # and an editorial change must not fail because of it.
    try:
        caching.bump_content_version()
    except Exception as exc:
        logger.warning("page caches not dropped: cache unreachable (%s)", type(exc).__name__)


def _drop_page_caches() -> None:
    # Now, so that nothing cached earlier is served again, and once more after the commit, so
    # that a page rendered from the old rows while the transaction was open is not kept either.
    _bump_content_version()
    transaction.on_commit(_bump_content_version, robust=True)


def guide_visibility_changed(guide) -> None:
    """Call inside the transaction that published, changed, verified or archived ``guide``."""
    from kb.search import index

    index.update_guide(guide)
    _drop_page_caches()


def catalogue_changed() -> None:
    _drop_page_caches()
