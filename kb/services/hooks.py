"""What must follow a change readers can see: the search index and the page caches."""

from django.db import transaction

from kb import caching


def _drop_page_caches() -> None:
    # Now, so that nothing cached earlier is served again, and once more after the commit, so
    # that a page rendered from the old rows while the transaction was open is not kept either.
    caching.bump_content_version()
    transaction.on_commit(caching.bump_content_version)


def guide_visibility_changed(guide) -> None:
    """Call inside the transaction that published, changed, verified or archived ``guide``."""
    from kb.search import index

    index.update_guide(guide)
    _drop_page_caches()


def catalogue_changed() -> None:
    _drop_page_caches()
