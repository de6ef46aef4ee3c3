"""Search gaps: what readers searched for without finding (or choosing) a guide."""

from django.contrib import admin
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from kb.admin.dashboard import dashboard_item
from kb.models import SearchGap


class GapKindFilter(admin.SimpleListFilter):
    title = _("kind of gap")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return (
            ("zero", _("Searches with no result")),
            ("no_click", _("Results without a click")),
        )

    def queryset(self, request, queryset):
        if self.value() == "zero":
            return queryset.filter(zero_results__gt=0)
        if self.value() == "no_click":
            return queryset.filter(searches__gt=F("clicks"))
        return queryset


@admin.register(SearchGap)
class SearchGapAdmin(admin.ModelAdmin):
    list_display = (
        "query",
        "language",
        "gap",
        "zero_results",
        "no_clicks_display",
        "searches",
        "clicks",
        "last_seen",
        "try_it",
    )
    list_filter = (GapKindFilter, "language")
    search_fields = ("query",)
    ordering = ("-gap", "-last_seen")
    date_hierarchy = "last_seen"
    list_per_page = 50
    readonly_fields = (
        "query",
        "language",
        "gap",
        "zero_results",
        "searches",
        "clicks",
        "first_seen",
        "last_seen",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("result pages without a click"))
    def no_clicks_display(self, obj):
        return obj.no_clicks

    @admin.display(description=_("search"))
    def try_it(self, obj):
        with override(obj.language):
            url = f"{reverse('kb:search')}?{urlencode({'q': obj.query})}"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Run"))


@dashboard_item
def search_gaps(request):
    if not request.user.has_perm("kb.view_searchgap"):
        return None
    return {
        "label": _("Search gaps (queries without a useful result)"),
        "count": SearchGap.objects.filter(gap__gt=0).count(),
        "url": reverse("admin:kb_searchgap_changelist"),
    }
