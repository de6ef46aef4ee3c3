"""What must follow a change readers can see: the search index and the page caches."""

from django.db import transaction

from kb import caching


def guide_visibility_changed(guide) -> None:
    """Call inside the transaction that published, changed, verified or archived ``guide``."""
    from kb.search import index

    index.update_guide(guide)
    transaction.on_commit(caching.bump_content_version)


def catalogue_changed() -> None:
    transaction.on_commit(caching.bump_content_version)
