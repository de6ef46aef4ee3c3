"""The source watch for editors: guides whose cited pages changed or went, with the diff, and
the two decisions (the change matters / it does not)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kb.admin.dashboard import dashboard_item
from kb.diff import line_diff_html
from kb.models import SourceBaseline, SourcePage
from kb.services import sourcewatch


class ToReviewFilter(admin.SimpleListFilter):
    title = _("to review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return (("open", _("changed or gone")),)

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.exclude(state=SourceBaseline.State.SAME)
        return queryset


@admin.register(SourceBaseline)
class SourceBaselineAdmin(admin.ModelAdmin):
    list_display = ("guide", "source_link", "state", "state_since", "confirmed_at", "taken_at")
    list_filter = (ToReviewFilter, "state", ("confirmed_at", admin.EmptyFieldListFilter))
    list_select_related = ("guide",)
    search_fields = ("guide__title", "guide__slug", "url")
    actions = ("confirm_change", "accept_change")
    fields = (
        "guide",
        "source_link",
        "state",
        "state_since",
        "taken_at",
        "page_status",
        "confirmed_at",
        "confirmed_by",
        "diff",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("address"))
    def source_link(self, obj):
        return format_html('<a href="{}" rel="noreferrer noopener">{}</a>', obj.url, obj.url)

    def _page(self, obj):
        if not hasattr(obj, "_page"):
            obj._page = SourcePage.objects.filter(url=obj.url).first()
        return obj._page

    @admin.display(description=_("page as last fetched"))
    def page_status(self, obj):
        page = self._page(obj)
        if page is None:
            return "-"
        checked = page.last_checked_at.strftime("%Y-%m-%d %H:%M") if page.last_checked_at else ""
        return f"{page.get_status_display()} {page.detail} {checked}".strip()

    @admin.display(description=_("changes in the page's main text (baseline → now)"))
    def diff(self, obj):
        page = self._page(obj)
        if page is None or obj.state == SourceBaseline.State.SAME:
            return "-"
        if obj.state == SourceBaseline.State.GONE:
            return _("The page is gone: %(detail)s") % {"detail": page.detail}
        return format_html(
            '<div class="kb-diff kb-diff-mono">{}</div>',
            line_diff_html(obj.text, page.text),
        )

    @admin.action(
        description=_("The change matters: tell readers the guide is being re-checked"),
        permissions=["change"],
    )
    def confirm_change(self, request, queryset):
        rows = list(queryset.exclude(state=SourceBaseline.State.SAME))
        for baseline in rows:
            sourcewatch.source_change_confirm(baseline=baseline, user=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d guide source marked as being re-checked.",
                "%(count)d guide sources marked as being re-checked.",
                len(rows),
            )
            % {"count": len(rows)},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("The change does not matter: accept the new text as the baseline"),
        permissions=["change"],
    )
    def accept_change(self, request, queryset):
        rows = list(queryset)
        for baseline in rows:
            sourcewatch.source_change_accept(baseline=baseline, user=request.user)
        self.message_user(
            request,
            ngettext("%(count)d baseline updated.", "%(count)d baselines updated.", len(rows))
            % {"count": len(rows)},
            messages.SUCCESS,
        )


@admin.register(SourcePage)
class SourcePageAdmin(admin.ModelAdmin):
    list_display = ("url", "status", "http_status", "detail", "last_checked_at", "text_changed_at")
    list_filter = ("status", "host")
    search_fields = ("url",)
    fields = (
        "url",
        "status",
        "http_status",
        "detail",
        "etag",
        "last_modified",
        "last_checked_at",
        "last_ok_at",
        "text_changed_at",
        "text_hash",
        "text",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@dashboard_item
def sources_changed(request):
    if not request.user.has_perm("kb.view_sourcebaseline"):
        return None
    count = sourcewatch.sources_changed().values("guide").distinct().count()
    url = reverse("admin:kb_sourcebaseline_changelist")
    return {
        "label": _("Guides whose sources changed"),
        "count": count,
        "url": f"{url}?review=open",
    }
