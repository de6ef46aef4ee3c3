"""Background work: one row per job we enqueue, and one per scheduled period already enqueued.

The backend (database or RQ) runs the work; ``TaskRecord`` is what editors and operators see
in the admin and what ``/healthz`` measures, the same whichever backend runs it.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskRecordQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=TaskRecord.Status.WAITING)

    def due(self, now=None):
        return self.waiting().filter(run_after__lte=now or timezone.now())

    def failed(self):
        return self.filter(status=TaskRecord.Status.FAILED)


class TaskRecord(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    name = models.CharField(_("task"), max_length=200, db_index=True)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("most attempts"), default=1)
    last_error = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    backend_id = models.CharField(_("backend task id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    run_after = models.DateTimeField(_("run after"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = TaskRecordQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        indexes = [models.Index(fields=["status", "run_after"], name="kb_taskrecord_due")]

    def __str__(self):
        return f"{self.short_name} #{self.pk}"

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


class ScheduledRun(models.Model):
    """A periodic job enqueued for one period; the unique pair makes it once per period even
    when several machines run ``run_schedule`` at the same moment."""

    job = models.CharField(_("job"), max_length=100)
    period = models.CharField(_("period"), max_length=20)
    created_at = models.DateTimeField(_("enqueued"), default=timezone.now)
    task = models.ForeignKey(
        TaskRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("background task"),
    )

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="kb_scheduledrun_once")
        ]

    def __str__(self):
        return f"{self.job} {self.period}"


class CacheBump(models.Model):
    """A change whose page-cache bump (``kb.caching.bump``) the shared cache did not take.

    Kept until a retry moves the versions (``kb.services.hooks.cache_bumps_retry``: a background
    task, ``run_schedule``, and any process that serves pages). Every process reads this table
    at most every ``KB_CONTENT_GENERATION_SECONDS`` (``kb.views.pagecache.generation``): a new
    row makes it drop the pages it holds, and while a row is pending no page is served from a
    cache or stored in one.
    """

    tags = models.JSONField(_("tags"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        verbose_name = _("pending page-cache bump")
        verbose_name_plural = _("pending page-cache bumps")

    def __str__(self):
        return f"#{self.pk} {len(self.tags)} tag(s)"
