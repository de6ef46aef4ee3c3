"""Background tasks through the real backends: the database backend run by ``db_worker``, and
RQ on Redis run by an RQ worker, with retries, failures shown in the admin, and "retry"."""

import os
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kb import background
from kb.models import Correction, Guide, ScheduledRun, TaskRecord
from kb.schedule import schedule_run
from kb.services import corrections
from tests import background_tasks, factories

pytestmark = pytest.mark.django_db

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
Status = TaskRecord.Status


@pytest.fixture
def db_backend(settings):
    settings.TASKS = DB_BACKEND
    settings.KB_TASKS_BACKEND = "database"
    settings.KB_TASK_RETRY_DELAYS = [60, 600]
    return settings


def work():
    """Run db_worker until nothing is due, in this process and this test's transaction (where
    its closing of "old" connections would close the test's own)."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("db_worker", batch=True, no_startup_delay=True, interval=0, verbosity=0)


def make_due():
    """Time passes: every delayed retry is now due."""
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)
    TaskRecord.objects.filter(status=Status.WAITING).update(run_after=past)


def enqueue(task, captured, **kwargs):
    with captured(execute=True):
        return background.enqueue(task, **kwargs)


def test_a_task_runs_in_the_database_worker_after_commit(
    db_backend, django_capture_on_commit_callbacks
):
    key = uuid.uuid4().hex
    record = enqueue(
        background_tasks.flaky, django_capture_on_commit_callbacks, key=key, failures=0
    )
    assert DBTaskResult.objects.get(id=TaskRecord.objects.get(pk=record.pk).backend_id)
    assert background_tasks.CALLS[key] == 0
    work()
    record.refresh_from_db()
    assert (record.status, record.attempts, record.result) == (Status.DONE, 1, {"calls": 1})


def test_a_failure_is_retried_later_with_backoff(db_backend, django_capture_on_commit_callbacks):
    key = uuid.uuid4().hex
    record = enqueue(
        background_tasks.flaky, django_capture_on_commit_callbacks, key=key, failures=1
    )
    before = timezone.now()
    work()
    record.refresh_from_db()
    assert record.status == Status.WAITING and record.attempts == 1
    assert "failed on call 1" in record.last_error
    assert timedelta(seconds=55) < record.run_after - before < timedelta(seconds=65)
    work()  # not due yet
    assert background_tasks.CALLS[key] == 1
    make_due()
    work()
    record.refresh_from_db()
    assert (record.status, record.attempts) == (Status.DONE, 2)


def test_a_task_failing_every_attempt_is_shown_as_failed_and_can_be_retried(
    db_backend, django_capture_on_commit_callbacks, client
):
    key = uuid.uuid4().hex
    record = enqueue(background_tasks.always_fails, django_capture_on_commit_callbacks, key=key)
    for _ in range(3):
        work()
        make_due()
    record.refresh_from_db()
    assert (record.status, record.attempts, record.max_attempts) == (Status.FAILED, 3, 3)
    assert "ValueError: " in record.last_error and "is not there" in record.last_error
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    assert background.queue_health()["failed"] == 1

    client.force_login(factories.user(superuser=True))
    changelist = reverse("admin:kb_taskrecord_changelist")
    page = client.get(f"{changelist}?status__exact=failed")
    assert "is not there" in page.content.decode()
    assert "always_fails" in page.content.decode()
    index = client.get(reverse("admin:index")).content.decode()
    assert "Background tasks that failed" in index or "失败的后台任务" in index

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "retry", "_selected_action": [record.pk]}, follow=True
        )
    assert response.status_code == 200
    record.refresh_from_db()
    assert (record.status, record.attempts) == (Status.WAITING, 0)
    work()
    assert background_tasks.CALLS[key] == 4


def test_an_email_that_fails_twice_then_goes(db_backend, django_capture_on_commit_callbacks):
    db_backend.EMAIL_BACKEND = "tests.background_tasks.FailTwiceEmailBackend"
    background_tasks.FailTwiceEmailBackend.refused = 0
    guide = factories.guide(status=Guide.Status.PUBLISHED, steps=2)
    correction = corrections.correction_submit(
        guide=guide,
        step=guide.steps.first(),
        proposed_text="新的第一步",
        kind="outdated",
        language="en",
        client_hash="b" * 64,
        email="reader@example.com",
    )
    with django_capture_on_commit_callbacks(execute=True):
        corrections.correction_reject(
            correction=correction, user=factories.editor(), reason="incorrect"
        )
    record = TaskRecord.objects.get(name="kb.tasks.correction_notify")
    assert record.kwargs == {"correction_id": correction.pk}
    for attempt in (1, 2):
        work()
        record.refresh_from_db()
        assert (record.status, record.attempts) == (Status.WAITING, attempt)
        assert "ConnectionRefusedError" in record.last_error
        assert "reader@example.com" not in record.last_error
        assert Correction.objects.get(pk=correction.pk).notified_at is None
        make_due()
    work()
    record.refresh_from_db()
    assert (record.status, record.attempts) == (Status.DONE, 3)
    assert Correction.objects.get(pk=correction.pk).notified_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reader@example.com"]


def test_a_task_whose_backend_was_down_is_sent_by_the_schedule(db_backend, monkeypatch):
    record = background.enqueue(background_tasks.flaky, key=uuid.uuid4().hex, failures=0)
    # The commit never happened for the backend (process died): nothing reached it.
    assert record.backend_id == ""
    TaskRecord.objects.filter(pk=record.pk).update(run_after=timezone.now() - timedelta(minutes=5))
    call_command("run_schedule", verbosity=0)
    record.refresh_from_db()
    assert record.backend_id and DBTaskResult.objects.filter(id=record.backend_id).exists()


def test_the_schedule_enqueues_each_job_once_per_period(db_backend):
    now = timezone.now().replace(hour=10, minute=5)
    first = schedule_run(now=now)
    again = schedule_run(now=now + timedelta(minutes=30))
    assert {o.job for o in first if o.enqueued} == {
        "personal_data_purge",
        "sources_watch",
        "tasks_prune",
    }
    assert not any(o.enqueued for o in again)
    assert ScheduledRun.objects.count() == 3
    assert TaskRecord.objects.count() == 3
    tomorrow = schedule_run(now=now + timedelta(days=1))
    assert all(o.enqueued for o in tomorrow)


def test_hourly_jobs_run_once_an_hour(db_backend):
    db_backend.KB_SOURCE_WATCH_EVERY = "hourly"
    now = timezone.now().replace(hour=10, minute=5)
    schedule_run(now=now)
    schedule_run(now=now + timedelta(minutes=20))
    schedule_run(now=now + timedelta(hours=1))
    assert ScheduledRun.objects.filter(job="sources_watch").count() == 2
    assert ScheduledRun.objects.filter(job="personal_data_purge").count() == 1


def test_healthz_reports_the_oldest_waiting_task(db_backend, client):
    record = background.enqueue(background_tasks.flaky, key="x", failures=0)
    TaskRecord.objects.filter(pk=record.pk).update(run_after=timezone.now() - timedelta(seconds=90))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["queue"]["due"] == 1 and 89 <= body["queue"]["oldest_due_seconds"] <= 120
    db_backend.KB_TASK_MAX_WAIT = 60
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["queue"]["status"] == "late"


RQ_URL = os.environ.get("KB_TEST_RQ_URL", "redis://127.0.0.1:6379/3")


def test_tasks_run_retry_and_fail_on_rq(settings, django_capture_on_commit_callbacks):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(RQ_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {RQ_URL}")
    import django_rq
    from rq import SimpleWorker

    settings.RQ_QUEUES = {"default": {"URL": RQ_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.KB_TASK_RETRY_DELAYS = [0]

    def clear():
        for key in connection.scan_iter("rq:*"):
            connection.delete(key)

    clear()
    from django_tasks_rq import Job

    queue = django_rq.get_queue("default", job_class=Job)

    def rq_work():
        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)

    ok, bad = uuid.uuid4().hex, uuid.uuid4().hex
    good = enqueue(background_tasks.flaky, django_capture_on_commit_callbacks, key=ok, failures=2)
    failing = enqueue(background_tasks.always_fails, django_capture_on_commit_callbacks, key=bad)
    assert queue.count == 2
    rq_work()
    good.refresh_from_db()
    failing.refresh_from_db()
    assert (good.status, good.attempts, good.result) == (Status.DONE, 3, {"calls": 3})
    assert (failing.status, failing.attempts) == (Status.FAILED, 3)
    assert "the carrier's page is not there" in failing.last_error
    from django_tasks import default_task_backend

    assert default_task_backend.get_result(failing.backend_id).status == "FAILED"
    assert default_task_backend.get_result(good.backend_id).status == "SUCCESSFUL"
    clear()


def test_importing_many_files_runs_as_a_task(db_backend, django_capture_on_commit_callbacks):
    from pathlib import Path

    folder = Path(__file__).parent / "fixtures" / "import"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_guides", str(folder), "--background", verbosity=0)
    record = TaskRecord.objects.get(name="kb.tasks.guides_import")
    assert record.kwargs["paths"] and all(Path(p).is_absolute() for p in record.kwargs["paths"])
    assert not Guide.objects.exists()
    work()
    record.refresh_from_db()
    assert record.status == Status.DONE
    assert len(record.result["files"]) == len(record.kwargs["paths"])
    assert Guide.objects.count() == sum(f["status"] == "created" for f in record.result["files"])


def test_search_index_rebuild_runs_as_a_task(db_backend, django_capture_on_commit_callbacks):
    factories.guide(status=Guide.Status.PUBLISHED, steps=1)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rebuild_search_index", "--background", verbosity=0)
    work()
    record = TaskRecord.objects.get(name="kb.tasks.search_index_rebuild")
    assert (record.status, record.result["documents"]) == (Status.DONE, 1)


def test_read_counts_are_written_by_a_task_not_the_request(
    db_backend, django_capture_on_commit_callbacks, monkeypatch
):
    from kb.models import GuideReadCount
    from kb.services import feedback

    guide = factories.guide(status=Guide.Status.PUBLISHED, steps=1)
    feedback.reads_discard()
    monkeypatch.setattr(feedback, "READS_FLUSH_PENDING", 1)
    with django_capture_on_commit_callbacks(execute=True):
        feedback.reads_record(guide.pk, user_agent="Mozilla/5.0 Firefox")
    assert not GuideReadCount.objects.exists()
    assert TaskRecord.objects.get(name="kb.tasks.reads_add").kwargs["counts"][0][0] == guide.pk
    work()
    assert GuideReadCount.objects.get(guide=guide).count == 1
