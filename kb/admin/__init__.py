"""Editorial screens. Each module registers the admin of one domain; buttons call services."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kb.admin import (  # noqa: F401
    catalogue,
    corrections,
    dashboard,
    feedback,
    guides,
    search,
    sources,
    tasks,
)

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = _("Editorial desk")
