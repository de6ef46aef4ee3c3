"""Render public pages into the shared page cache ahead of readers (kb/views/pagecache.py).

After a publish, archive or catalogue change the pages it touched are rendered in the
background (``kb.tasks.pages_render``), so that the first reader after the change is served
from the cache; ``manage.py prerender_pages`` renders the whole catalogue (after a deploy, a
cache flush or a bulk load). Pages are rendered for the site's public address
(``KB_SITE_URL``): the host and scheme are part of a page's cache key.
"""

import io
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import get_language_from_path

from kb.traditional import SIMPLIFIED, TRADITIONAL

logger = logging.getLogger(__name__)


def _request(path: str, query: str = "") -> WSGIRequest:
    site = urlsplit(settings.KB_SITE_URL or "http://localhost")
    scheme = site.scheme or "http"
    host = site.netloc or "localhost"
    name, _, port = host.partition(":")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": name,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "HTTP_HOST": host,
        "HTTP_X_FORWARDED_PROTO": scheme,
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(b""),
    }
    request = WSGIRequest(environ)
    request.user = AnonymousUser()
    return request


def _render(address: str, language: str) -> int | None:
    path, _, query = address.partition("?")
    try:
        match = resolve(path)  # in the path's language: the prefix is resolved with it
    except Resolver404:
        return None
    render = getattr(match.func, "kb_render_and_store", None)
    if render is None:
        return None
    request = _request(path, query)
    request.resolver_match = match
    request.LANGUAGE_CODE = language
    try:
        return render(request, *match.args, **match.kwargs).status_code
    except Exception as exc:  # a page that fails now fails for its reader too
        logger.warning("page %s not prerendered: %s", path, type(exc).__name__)
        return None


def pages_prerender(*, paths: list[str]) -> dict:
    """Render each cached public page in ``paths`` (a path, with its query string where the
    page depends on one) into the page caches; what was done."""
    started = time.perf_counter()
    rendered = skipped = 0
    for path in dict.fromkeys(paths):
        language = get_language_from_path(path) or settings.LANGUAGE_CODE
        with translation.override(language):
            status = _render(path, language)
        if status == 200:
            rendered += 1
        else:
            skipped += 1
    return {
        "rendered": rendered,
        "skipped": skipped,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _in_every_language(name: str, **kwargs) -> list[str]:
    paths = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths.append(reverse(name, kwargs=kwargs or None))
    return paths


def listing_paths() -> list[str]:
    """The home page, and every country and task page, in every language."""
    from kb.models import Country, Task

    paths = _in_every_language("kb:home")
    for country in Country.objects.order_by("pk").only("slug"):
        paths += _in_every_language("kb:country", slug=country.slug)
    for task in Task.objects.order_by("pk").only("slug"):
        paths += _in_every_language("kb:task", slug=task.slug)
    return paths


def guide_pages(guides) -> list[str]:
    """Each guide's page, and a Simplified guide's Traditional page beside it."""
    paths = []
    for guide in guides:
        paths.append(guide.get_absolute_url())
        if guide.language == SIMPLIFIED:
            with translation.override(TRADITIONAL):
                paths.append(guide.get_absolute_url())
    return paths


def paths_for_guide(guide) -> list[str]:
    """The pages a change of ``guide`` touched: the guide and its translations, its carrier,
    country and task pages, and the home pages."""
    from kb.models import Guide

    root = guide.translation_of_id or guide.pk
    family = Guide.objects.published().filter(pk=root) | Guide.objects.published().filter(
        translation_of_id=root
    )
    paths = guide_pages(family.only("slug", "language"))
    if guide.carrier_id:
        paths += _in_every_language("kb:carrier", slug=guide.carrier.slug)
    paths += _in_every_language("kb:country", slug=guide.country.slug)
    paths += _in_every_language("kb:task", slug=guide.task.slug)
    paths += _in_every_language("kb:home")
    return paths


def sitemap_paths() -> list[str]:
    """The sitemap index and every sitemap file (``?p=N`` from the second page on): a file of
    50,000 addresses takes seconds to render, too long for a crawler's request."""
    from kb.views.sitemaps import SITEMAPS

    paths = [reverse("sitemap")]
    for section, sitemap in SITEMAPS.items():
        path = reverse("sitemap_section", kwargs={"section": section})
        pages = sitemap().paginator.num_pages
        paths += [path] + [f"{path}?p={number}" for number in range(2, pages + 1)]
    return paths
