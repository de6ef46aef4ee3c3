"""How background work is defined, enqueued, retried and recorded.

Define a task in ``kb/tasks.py``::

    @background(retries=3)
    def guide_render(*, guide_id: int) -> dict:
        ...

and enqueue it from a service, inside its transaction::

    background.enqueue(tasks.guide_render, guide_id=guide.pk)

``enqueue`` writes a ``TaskRecord`` in the caller's transaction and hands the task to the
backend (django-tasks: database or RQ) once that transaction commits, so a task never runs
on rows that were rolled back and is never lost if the backend is briefly unreachable
(``run_schedule`` sends records that never reached it). Keyword arguments must be JSON
values. A task that raises is retried after ``KB_TASK_RETRY_DELAYS``; after its last attempt
the record is "failed" with the error, listed in the admin with a "retry" action.
"""

import json
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task, task_backends

from kb.models import TaskRecord

logger = logging.getLogger(__name__)

Status = TaskRecord.Status

# A record still unsent this long after it was due was lost between commit and backend.
RESEND_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Spec:
    name: str
    func: object
    task: object
    retries: int | None

    @property
    def attempts(self) -> int:
        retries = len(settings.KB_TASK_RETRY_DELAYS) if self.retries is None else self.retries
        return 1 + max(0, retries)


REGISTRY: dict[str, Spec] = {}


def background(*, retries: int | None = None, queue_name: str = "default", priority: int = 0):
    """Make a function of keyword-only JSON arguments a retried, recorded background task.

    ``retries`` is how many times a failure is retried (default: one per delay in
    ``KB_TASK_RETRY_DELAYS``); 0 means one attempt only.
    """

    def decorate(func):
        name = f"{func.__module__}.{func.__qualname__}"

        def run(record_id: int):
            return _run(REGISTRY[name], record_id)

        run.__module__, run.__name__ = func.__module__, func.__name__
        run.__qualname__ = func.__qualname__
        run.__doc__ = func.__doc__
        backend_task = task(queue_name=queue_name, priority=priority)(run)
        REGISTRY[name] = Spec(name=name, func=func, task=backend_task, retries=retries)
        return backend_task

    return decorate


def spec_of(backend_task) -> Spec:
    try:
        return REGISTRY[backend_task.module_path]
    except (KeyError, AttributeError):
        raise TypeError(f"{backend_task!r} is not a @background task") from None


def enqueue(backend_task, **kwargs) -> TaskRecord:
    """Record the task now; the backend gets it when the current transaction commits."""
    spec = spec_of(backend_task)
    json.dumps(kwargs)  # a TypeError here, in the caller, rather than in the worker
    record = TaskRecord.objects.create(name=spec.name, kwargs=kwargs, max_attempts=spec.attempts)
    pk = record.pk
    transaction.on_commit(lambda: send(pk), robust=True)
    return record


def send(record_id: int, run_after=None) -> bool:
    """Hand a waiting record to the backend; False (logged) when the backend is unreachable."""
    record = TaskRecord.objects.filter(pk=record_id, status=Status.WAITING).first()
    if record is None or record.name not in REGISTRY:
        return False
    backend_task = REGISTRY[record.name].task
    if run_after is not None and task_backends[backend_task.backend].supports_defer:
        backend_task = backend_task.using(run_after=run_after)
    elif run_after is not None and run_after > timezone.now():
        return False  # a backend without delays: run_schedule sends it once it is due
    try:
        result = backend_task.enqueue(record_id=record_id)
    except Exception as exc:
        logger.warning("task %s #%s not sent: %s", record.name, record_id, type(exc).__name__)
        return False
    TaskRecord.objects.filter(pk=record_id, backend_id="").update(backend_id=result.id)
    return True


def resend_lost(*, now=None) -> int:
    """Send records that are due but never reached the backend (it was down, or they wait
    for a retry on a backend that cannot delay)."""
    now = now or timezone.now()
    lost = TaskRecord.objects.due(now - RESEND_AFTER).filter(backend_id="")
    return sum(send(pk) for pk in lost.values_list("pk", flat=True)[:500])


def task_retry(*, record: TaskRecord) -> TaskRecord:
    """Run a failed task again, with its full number of attempts."""
    with transaction.atomic():
        updated = TaskRecord.objects.filter(pk=record.pk, status=Status.FAILED).update(
            status=Status.WAITING,
            attempts=0,
            run_after=timezone.now(),
            backend_id="",
            finished_at=None,
        )
        if updated:
            pk = record.pk
            transaction.on_commit(lambda: send(pk), robust=True)
    record.refresh_from_db()
    return record


def _error_text(exc: BaseException) -> str:
    lines = traceback.format_exception(exc, limit=-3)
    return "".join(lines)[-4000:]


def _run(spec: Spec, record_id: int):
    with transaction.atomic():
        record = TaskRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            logger.warning("task %s #%s: no record, nothing to do", spec.name, record_id)
            return None
        if record.status in (Status.DONE, Status.FAILED):
            return record.result  # delivered twice: the first delivery decided
        record.status, record.started_at = Status.RUNNING, timezone.now()
        record.attempts += 1
        record.save(update_fields=["status", "started_at", "attempts"])
    try:
        value = spec.func(**record.kwargs)
        json.dumps(value)
    except Exception as exc:
        record.last_error = _error_text(exc)
        if record.attempts < record.max_attempts:
            delays = settings.KB_TASK_RETRY_DELAYS or [0]
            delay = delays[min(record.attempts - 1, len(delays) - 1)]
            run_after = timezone.now() + timedelta(seconds=delay)
            TaskRecord.objects.filter(pk=record.pk).update(
                status=Status.WAITING,
                run_after=run_after,
                last_error=record.last_error,
                backend_id="",
            )
            logger.warning(
                "task %s #%s failed (attempt %s of %s, %s); retry in %s s",
                spec.name,
                record.pk,
                record.attempts,
                record.max_attempts,
                type(exc).__name__,
                delay,
            )
            send(record.pk, run_after=run_after if delay else None)
            return {"retry_at": run_after.isoformat(), "attempt": record.attempts}
        TaskRecord.objects.filter(pk=record.pk).update(
            status=Status.FAILED, last_error=record.last_error, finished_at=timezone.now()
        )
        logger.error(
            "task %s #%s failed after %s attempt(s): %s",
            spec.name,
            record.pk,
            record.attempts,
            type(exc).__name__,
        )
        raise
    TaskRecord.objects.filter(pk=record.pk).update(
        status=Status.DONE, result=value, finished_at=timezone.now()
    )
    return value


def tasks_prune(*, now=None) -> dict:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.KB_TASK_KEEP_DAYS)
    records, _ = TaskRecord.objects.filter(status=Status.DONE, finished_at__lt=cutoff).delete()
    results = 0
    if "django_tasks_db" in settings.INSTALLED_APPS:
        from django_tasks_db.models import DBTaskResult

        results, _ = DBTaskResult.objects.filter(
            status="SUCCESSFUL", finished_at__lt=cutoff
        ).delete()
    return {"records": records, "backend_results": results}


def queue_health(*, now=None) -> dict:
    """What /healthz reports about the queue (same figures on every backend)."""
    now = now or timezone.now()
    due = TaskRecord.objects.due(now)
    oldest = due.order_by("run_after").values_list("run_after", flat=True).first()
    return {
        "backend": settings.KB_TASKS_BACKEND,
        "due": due.count(),
        "oldest_due_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "failed": TaskRecord.objects.failed().count(),
    }
