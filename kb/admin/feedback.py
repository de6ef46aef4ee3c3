"""What readers said: "did this work?" answers and guide requests, read-only for editors.

Counts per guide for the guide list come from ``kb.services.feedback.counts_for``.
"""

from datetime import timedelta

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from kb.admin.dashboard import dashboard_item
from kb.models import GuideFeedback, GuideRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Readers write these rows; editors only read them (reviewers may delete spam)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GuideFeedback)
class GuideFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("guide", "answer", "reason", "short_comment", "language", "created_at")
    list_filter = ("helpful", "reason", "language", "created_at")
    list_select_related = ("guide",)
    search_fields = ("guide__title", "guide__slug", "comment")
    date_hierarchy = "created_at"
    fields = ("guide", "helpful", "reason", "comment", "language", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("it worked"), boolean=True, ordering="helpful")
    def answer(self, obj):
        return obj.helpful

    @admin.display(description=_("comment"))
    def short_comment(self, obj):
        return Truncator(obj.comment).chars(80)


@admin.register(GuideRequest)
class GuideRequestAdmin(ReadOnlyAdmin):
    list_display = ("carrier", "task", "language", "created_at")
    list_filter = ("language", "carrier__country", "carrier", "task", "created_at")
    list_select_related = ("carrier", "task")
    date_hierarchy = "created_at"
    fields = ("carrier", "task", "language", "created_at")
    readonly_fields = fields


@dashboard_item
def unhelpful_answers(request):
    if not request.user.has_perm("kb.view_guidefeedback"):
        return None
    since = timezone.now() - timedelta(days=30)
    count = GuideFeedback.objects.filter(helpful=False, created_at__gte=since).count()
    url = reverse("admin:kb_guidefeedback_changelist")
    return {
        "label": _("“Did not work” answers in the last 30 days"),
        "count": count,
        "url": f"{url}?helpful__exact=0",
    }


@dashboard_item
def most_requested(request):
    if not request.user.has_perm("kb.view_guiderequest"):
        return None
    since = timezone.now() - timedelta(days=90)
    count = (
        GuideRequest.objects.filter(created_at__gte=since)
        .values("carrier", "task")
        .annotate(n=Count("id"))
        .count()
    )
    return {
        "label": _("Guides readers asked for in the last 90 days"),
        "count": count,
        "url": reverse("admin:kb_guiderequest_changelist"),
    }
