"""The sitemap: an index (``/sitemap.xml``) of files of at most 50,000 addresses each
(``/sitemap-<section>.xml?p=N``): every published guide with its last change and its
translations (a Simplified guide also at its ``/zh-hant/`` address), and the catalogue pages in every language. Each file is cached (per page number)
and sent gzipped like every cached page."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import index as index_view
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.db.models import Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from kb.models import Carrier, Country, Guide, Task
from kb.traditional import SIMPLIFIED, TRADITIONAL
from kb.views.pagecache import cached_page

FAMILY_CHUNK = 2000


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

    def lastmod(self, guide):
        return guide.content_updated_at

    def get_latest_lastmod(self):
        return Guide.objects.published().aggregate(latest=Max("content_updated_at"))["latest"]

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        if not urls:
            return urls
        base = urls[0]["location"][: -len(urls[0]["item"].get_absolute_url())]
        families = _families({url["item"].translation_of_id or url["item"].pk for url in urls})
        with_traditional = []
        for url in urls:
            with_traditional.append(url)
            if url["item"].language == SIMPLIFIED:
                with translation.override(TRADITIONAL):
                    location = base + url["item"].get_absolute_url()
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


def _families(roots: set[int]) -> dict[int, list[tuple[str, str]]]:
    """Each translation family's published members as (language, path), by root id, however the
    families fall across the sitemap's files."""
    families: dict[int, list[tuple[str, str]]] = {}
    roots = sorted(roots)
    for start in range(0, len(roots), FAMILY_CHUNK):
        chunk = roots[start : start + FAMILY_CHUNK]
        members = (
            Guide.objects.published()
            .filter(Q(pk__in=chunk) | Q(translation_of_id__in=chunk))
            .only("id", "slug", "language", "translation_of_id")
            .order_by("language", "pk")
        )
        for guide in members:
            family = families.setdefault(guide.translation_of_id or guide.pk, [])
            family.append((guide.language, guide.get_absolute_url()))
            if guide.language == SIMPLIFIED:
                with translation.override(TRADITIONAL):
                    family.append((TRADITIONAL, guide.get_absolute_url()))
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


@cached_page
def sitemap_index(request):
    response = index_view(request, sitemaps=SITEMAPS, sitemap_url_name="sitemap_section")
    response.kb_tags = ("guides",)
    return response


@cached_page(query=("p",))
def sitemap(request, section):
    if section not in SITEMAPS:
        raise Http404
    response = sitemap_view(request, sitemaps=SITEMAPS, section=section)
    response.kb_tags = ("guides",) if section == "guides" else ()
    return response
