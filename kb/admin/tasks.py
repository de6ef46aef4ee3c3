"""Background tasks as editors and operators see them: what failed, why, and "retry"."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kb import background
from kb.admin.dashboard import dashboard_item
from kb.models import ScheduledRun, TaskRecord


@admin.register(TaskRecord)
class TaskRecordAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "tries",
        "created_at",
        "run_after",
        "finished_at",
        "error_line",
    )
    list_filter = ("status", "name", "created_at")
    search_fields = ("name", "last_error")
    date_hierarchy = "created_at"
    actions = ("retry",)
    fields = (
        "name",
        "kwargs",
        "status",
        "tries",
        "created_at",
        "run_after",
        "started_at",
        "finished_at",
        "error",
        "result",
        "backend_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("attempts"))
    def tries(self, obj):
        return f"{obj.attempts} / {obj.max_attempts}"

    @admin.display(description=_("last error"))
    def error_line(self, obj):
        lines = [line for line in obj.last_error.splitlines() if line.strip()]
        return Truncator(lines[-1]).chars(120) if lines else ""

    @admin.display(description=_("last error"))
    def error(self, obj):
        return format_html('<pre class="kb-pre-wrap">{}</pre>', obj.last_error)

    @admin.action(description=_("Retry the selected failed tasks"), permissions=["change"])
    def retry(self, request, queryset):
        failed = list(queryset.filter(status=TaskRecord.Status.FAILED))
        for record in failed:
            background.task_retry(record=record)
        skipped = queryset.count() - len(failed)
        self.message_user(
            request,
            ngettext(
                "%(count)d task will run again.", "%(count)d tasks will run again.", len(failed)
            )
            % {"count": len(failed)},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d task was not retried: only failed tasks are.",
                    "%(count)d tasks were not retried: only failed tasks are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period", "created_at", "task")
    list_filter = ("job",)
    fields = ("job", "period", "created_at", "task")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@dashboard_item
def failed_tasks(request):
    if not request.user.has_perm("kb.view_taskrecord"):
        return None
    url = reverse("admin:kb_taskrecord_changelist")
    return {
        "label": _("Background tasks that failed"),
        "count": TaskRecord.objects.failed().count(),
        "url": f"{url}?status__exact=failed",
    }
