from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from kb.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("kb.urls_root")),
]
urlpatterns += i18n_patterns(
    path(settings.DJANGO_ADMIN_URL, admin.site.urls),
    path("", include("kb.urls")),
    prefix_default_language=True,
)

handler404 = "kb.views.errors.page_not_found"
handler500 = "kb.views.errors.server_error"
