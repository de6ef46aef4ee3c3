"""Every background task of the site, in one place (how to add one: kb/background.py).

Tasks are thin: they call a service with the JSON arguments they were given and return a
JSON summary that the admin shows on the task's record.
"""

from pathlib import Path

from kb.background import background


@background()
def correction_notify(*, correction_id: int) -> dict:
    """Tell the reader what became of their correction (retried while the mail server fails)."""
    from kb.services.corrections import correction_notify as notify

    return {"sent": notify(correction_id=correction_id, raise_errors=True)}


@background(retries=1)
def search_index_rebuild() -> dict:
    from kb.search import index

    report = index.rebuild()
    return {"documents": report.documents, "seconds": round(report.seconds, 1)}


@background(retries=0)
def guides_import(*, paths: list[str], language: str | None = None) -> dict:
    """Import many files at once; the report per file is kept on the task's record."""
    from kb.services.importing import guides_import as run_import

    reports = run_import(paths=[Path(p) for p in paths], language=language)
    return {"files": [report.as_dict() for report in reports]}


@background(retries=2)
def personal_data_purge() -> dict:
    from kb.services.corrections import personal_data_purge as purge

    return purge()


@background(retries=2)
def reads_add(*, counts: list[list]) -> dict:
    """Add one process's buffered read counts ([guide id, ISO day, count], …)."""
    from kb.services.feedback import reads_add as add

    return {"rows": add(counts=counts)}


@background(retries=1)
def sources_watch(*, guide_slug: str | None = None) -> dict:
    """Fetch the cited pages of published guides and flag guides whose sources changed."""
    from kb.services.sourcewatch import sources_watch as watch

    return watch(guide_slug=guide_slug).as_dict()


@background(retries=1)
def tasks_prune() -> dict:
    """Forget finished tasks older than KB_TASK_KEEP_DAYS (failed ones stay until retried)."""
    from kb.background import tasks_prune as prune

    return prune()


@background(retries=1)
def pages_render(*, paths: list[str]) -> dict:
    """Render the pages a change touched into the shared page cache, for the next reader."""
    from kb.services.prerender import pages_prerender

    return pages_prerender(paths=paths)


@background(retries=1)
def sitemaps_render() -> dict:
    """Render the sitemap index and files into the shared page cache, as they are when the
    task runs (hooks.sitemaps_changed enqueues at most one waiting render)."""
    from kb.services.prerender import pages_prerender, sitemap_paths

    return pages_prerender(paths=sitemap_paths())


@background()
def cache_bumps_retry() -> dict:
    """Move the page-cache versions of changes the shared cache did not take when they were
    made (retried while it still does not)."""
    from kb.services.hooks import cache_bumps_retry as retry

    return retry()
