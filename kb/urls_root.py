"""URLs outside the language prefix (robots.txt, sitemap.xml). The bare root is redirected to
the reader's language by LocaleMiddleware."""

from django.urls import path

from kb.views import robots, sitemaps, webapp

urlpatterns = [
    path("robots.txt", robots.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap, name="sitemap_section"),
    path("favicon.ico", webapp.favicon, name="favicon"),
    path("sw.js", webapp.service_worker, name="service_worker"),
]
