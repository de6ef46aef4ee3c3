"""URLs outside the language prefix (robots.txt, sitemap.xml). The bare root is redirected to
the reader's language by LocaleMiddleware."""

urlpatterns = []
