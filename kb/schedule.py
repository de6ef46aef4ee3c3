"""The periodic jobs and the periods they run in; ``run_schedule`` enqueues each once per period."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kb import background, tasks
from kb.models import ScheduledRun


@dataclass(frozen=True)
class Job:
    name: str
    every: str  # "daily" or "hourly"
    task: object
    kwargs: dict = field(default_factory=dict)


def jobs() -> list[Job]:
    return [
        Job("personal_data_purge", "daily", tasks.personal_data_purge),
        Job("sources_watch", settings.KB_SOURCE_WATCH_EVERY, tasks.sources_watch),
        Job("tasks_prune", "daily", tasks.tasks_prune),
    ]


def period_of(every: str, now: datetime) -> str:
    now = now.astimezone(UTC)
    if every == "hourly":
        return now.strftime("%Y-%m-%dT%H")
    if every == "daily":
        return now.strftime("%Y-%m-%d")
    raise ValueError(f'a job runs "daily" or "hourly", not {every!r}')


@dataclass
class Outcome:
    job: str
    period: str
    enqueued: bool
    record_id: int | None = None


def schedule_run(*, now: datetime | None = None, dry_run: bool = False) -> list[Outcome]:
    """Enqueue every job whose period has no run yet. The unique (job, period) row decides
    which of several instances enqueues it: the others' inserts fail and they skip it."""
    now = now or timezone.now()
    outcomes = []
    for job in jobs():
        period = period_of(job.every, now)
        if dry_run:
            done = ScheduledRun.objects.filter(job=job.name, period=period).exists()
            outcomes.append(Outcome(job.name, period, not done))
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, period=period, created_at=now)
                record = background.enqueue(job.task, **job.kwargs)
                run.task = record
                run.save(update_fields=["task"])
        except IntegrityError:
            outcomes.append(Outcome(job.name, period, False))
            continue
        outcomes.append(Outcome(job.name, period, True, record.pk))
    return outcomes
