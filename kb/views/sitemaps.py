"""The sitemap: an index (``/sitemap.xml``) of files of at most 50,000 addresses each
(``/sitemap-<section>.xml?p=N``): every published guide with its last change and its
translations (a Simplified guide also at its ``/zh-hant/`` address), and the catalogue pages
in every language. Each file is cached (per page number), sent gzipped like every cached page,
and rendered by ``manage.py prerender_pages``; a file of 50,000 addresses takes about 2 s."""

from html import escape  # what Django's escape (and the template's autoescape) calls

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import index as index_view
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.db.models import Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from kb.models import Carrier, Country, Guide, Task
from kb.traditional import SIMPLIFIED, TRADITIONAL
from kb.views.pagecache import cached_page

FAMILY_CHUNK = 2000
_SLUG_MARK = "kb-slug-mark"


class _GuidePaths(dict):
    """A guide's path in each language, by formatting: ``reverse`` for each of 125,000
    addresses was most of a 50,000-address file's ten seconds. Slugs are ASCII (the URL's
    ``slug`` converter), so nothing needs quoting."""

    def __missing__(self, language):
        with translation.override(language):
            mark = reverse("kb:guide", kwargs={"slug": _SLUG_MARK})
        head, _, tail = mark.partition(_SLUG_MARK)
        self[language] = (head, tail)
        return self[language]

    def of(self, guide, language=None) -> str:
        return self.path(language or guide.language, guide.slug)

    def path(self, language: str, slug: str) -> str:
        head, tail = self[language]
        return f"{head}{slug}{tail}"


class GuideSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8
    limit = 25_000  # a Simplified guide is listed twice: itself and its Traditional page

    def items(self):
        return (
            Guide.objects.published()
            .only("id", "slug", "language", "translation_of_id", "content_updated_at")
            .order_by("pk")
        )

    def __init__(self):
        self.paths = _GuidePaths()

    def location(self, guide):
        return self.paths.of(guide)

    def lastmod(self, guide):
        return guide.content_updated_at

    def get_latest_lastmod(self):
        return Guide.objects.published().aggregate(latest=Max("content_updated_at"))["latest"]

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        if not urls:
            return urls
        paths = self.paths
        base = urls[0]["location"][: -len(paths.of(urls[0]["item"]))]
        families = _families(
            {url["item"].translation_of_id or url["item"].pk for url in urls}, paths
        )
        with_traditional = []
        for url in urls:
            with_traditional.append(url)
            if url["item"].language == SIMPLIFIED:
                location = base + paths.of(url["item"], TRADITIONAL)
                with_traditional.append({**url, "location": location})
        urls = with_traditional
        for url in urls:
            guide = url["item"]
            members = families.get(guide.translation_of_id or guide.pk, [])
            if len(members) < 2:
                continue
            alternates = [
                {"location": base + location, "lang_code": language}
                for language, location in members
            ]
            default = next((m for m in members if m[0] == settings.LANGUAGE_CODE), None)
            if default is not None:
                alternates.append({"location": base + default[1], "lang_code": "x-default"})
            url["alternates"] = alternates
        return urls


def _families(roots: set[int], paths: _GuidePaths) -> dict[int, list[tuple[str, str]]]:
    """Each translation family's published members as (language, path), by root id, however the
    families fall across the sitemap's files."""
    families: dict[int, list[tuple[str, str]]] = {}
    roots = sorted(roots)
    for start in range(0, len(roots), FAMILY_CHUNK):
        chunk = roots[start : start + FAMILY_CHUNK]
        # Two indexed lookups: with OR, SQLite scans every published guide (3x slower).
        columns = ("id", "slug", "language", "translation_of_id")
        published = Guide.objects.published()
        found = {  # by id: a guide can be both a root and a translation (a chain)
            member[0]: member
            for query in (
                published.filter(pk__in=chunk),
                published.filter(translation_of_id__in=chunk),
            )
            for member in query.values_list(*columns)
        }
        members = sorted(found.values(), key=lambda member: (member[2], member[0]))
        for pk, slug, language, root in members:
            family = families.setdefault(root or pk, [])
            family.append((language, paths.path(language, slug)))
            if language == SIMPLIFIED:
                family.append((TRADITIONAL, paths.path(TRADITIONAL, slug)))
    return families


class CatalogueSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"
    limit = 50_000

    def items(self):
        return [
            "home",
            *Country.objects.order_by("pk"),
            *Carrier.objects.order_by("pk").only("id", "slug"),
            *Task.objects.order_by("pk"),
        ]

    def location(self, item):
        if item == "home":
            return reverse("kb:home")
        return item.get_absolute_url()

    def priority(self, item):
        return 1.0 if item == "home" else 0.6


SITEMAPS = {"guides": GuideSitemap, "catalogue": CatalogueSitemap}


# The files are the same in every language (each address carries its own): one cached copy,
# rendered in the site's language whatever a crawler's Accept-Language.
@cached_page(language=settings.LANGUAGE_CODE)
def sitemap_index(request):
    with translation.override(settings.LANGUAGE_CODE):
        response = index_view(request, sitemaps=SITEMAPS, sitemap_url_name="sitemap_section")
        response.render()
    response.kb_tags = ("guides",)
    response.kb_traditional = True  # addresses only: nothing to convert for a zh-Hant crawler
    return response


URLSET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)


def urlset_xml(urls) -> str:
    """What Django's ``sitemap.xml`` template renders, byte for byte (tests/test_public_feeds.py),
    in a tenth of the time: the template took 3.6 s for a file of 50,000 addresses."""
    parts = [URLSET_HEAD]
    add = parts.append
    for url in urls:
        add(f"<url><loc>{escape(url['location'])}</loc>")
        if url.get("lastmod"):
            add(f"<lastmod>{timezone.template_localtime(url['lastmod']):%Y-%m-%d}</lastmod>")
        if url.get("changefreq"):
            add(f"<changefreq>{escape(url['changefreq'])}</changefreq>")
        if url.get("priority"):
            add(f"<priority>{escape(url['priority'])}</priority>")
        for alternate in url.get("alternates", ()):
            add(
                f'<xhtml:link rel="alternate" hreflang="{escape(alternate["lang_code"])}" '
                f'href="{escape(alternate["location"])}"/>'
            )
        add("</url>")
    add("\n</urlset>\n")
    return "".join(parts)


@cached_page(query=("p",), language=settings.LANGUAGE_CODE)
def sitemap(request, section):
    if section not in SITEMAPS:
        raise Http404
    with translation.override(settings.LANGUAGE_CODE):
        response = sitemap_view(request, sitemaps=SITEMAPS, section=section)
        response.content = urlset_xml(response.context_data["urlset"])
    response.kb_tags = ("guides",) if section == "guides" else ()
    response.kb_traditional = True
    return response
