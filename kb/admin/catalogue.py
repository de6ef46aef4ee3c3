from django.contrib import admin

from kb.admin.base import URL_FIELDS_HTTPS
from kb.models import Carrier, Country, SupportChannel, Task
from kb.services import hooks


class CatalogueAdmin(admin.ModelAdmin):
    """Catalogue edits show on public pages at once: the page caches are dropped."""

    formfield_overrides = URL_FIELDS_HTTPS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        hooks.catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        hooks.catalogue_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        hooks.catalogue_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        hooks.catalogue_changed()


@admin.register(Country)
class CountryAdmin(CatalogueAdmin):
    list_display = ("slug", "name_zh", "name_en", "position")
    list_editable = ("position",)
    search_fields = ("slug", "name_zh", "name_en", "aliases")
    fields = ("slug", "name_zh", "name_en", "aliases", "position")


class SupportChannelInline(admin.StackedInline):
    formfield_overrides = URL_FIELDS_HTTPS
    model = SupportChannel
    extra = 0
    fields = (
        ("kind", "position", "works_from_abroad"),
        ("label_zh", "label_en"),
        ("value", "url"),
        ("hours_zh", "hours_en"),
        ("cost_zh", "cost_en"),
    )


@admin.register(Carrier)
class CarrierAdmin(CatalogueAdmin):
    list_display = ("name", "slug", "country", "website")
    list_filter = ("country",)
    list_select_related = ("country",)
    search_fields = ("name", "name_zh", "slug", "aliases", "search_aliases")
    inlines = (SupportChannelInline,)
    fieldsets = (
        (None, {"fields": ("name", "name_zh", "slug", "country", "website")}),
        (None, {"fields": ("aliases", "search_aliases")}),
        (None, {"fields": ("description_zh", "description_en")}),
    )


@admin.register(Task)
class TaskAdmin(CatalogueAdmin):
    list_display = ("slug", "name_zh", "name_en", "position")
    list_editable = ("position",)
    search_fields = ("slug", "name_zh", "name_en", "synonyms")
