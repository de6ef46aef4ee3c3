from django.contrib import admin

from kb.models import Guide


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ("title", "status")
