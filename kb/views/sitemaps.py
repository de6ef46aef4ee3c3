"""sitemap.xml: every published guide with its last change and its translations, and the
catalogue pages in both languages."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.urls import reverse

from kb.models import Carrier, Country, Guide, Task
from kb.views.pagecache import cached_page


class GuideSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8
    limit = 5000

    def items(self):
        return list(
            Guide.objects.published()
            .only("id", "slug", "language", "translation_of_id", "content_updated_at")
            .order_by("pk")
        )

    def lastmod(self, guide):
        return guide.content_updated_at

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        groups = {}
        for url in urls:
            guide = url["item"]
            groups.setdefault(guide.translation_of_id or guide.pk, []).append(url)
        for members in groups.values():
            if len(members) < 2:
                continue
            alternates = [
                {"location": m["location"], "lang_code": m["item"].language} for m in members
            ]
            default = next(
                (m for m in members if m["item"].language == settings.LANGUAGE_CODE), None
            )
            if default is not None:
                alternates.append({"location": default["location"], "lang_code": "x-default"})
            for member in members:
                member["alternates"] = alternates
        return urls


class CatalogueSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"

    def items(self):
        return [
            "home",
            *Country.objects.order_by("pk"),
            *Carrier.objects.order_by("pk"),
            *Task.objects.order_by("pk"),
        ]

    def location(self, item):
        if item == "home":
            return reverse("kb:home")
        return item.get_absolute_url()

    def priority(self, item):
        return 1.0 if item == "home" else 0.6


SITEMAPS = {"guides": GuideSitemap, "catalogue": CatalogueSitemap}


@cached_page(query=("p",))
def sitemap(request):
    response = sitemap_view(request, sitemaps=SITEMAPS)
    response.kb_tags = ("guides",)
    return response
