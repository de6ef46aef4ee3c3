from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = _("Knowledge base")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib import admin

        from kb.admin.base import bound_searches

        # django.contrib.admin comes first in INSTALLED_APPS: every admin is registered by now.
        bound_searches(admin.site)
