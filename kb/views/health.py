import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kb.background import queue_health

logger = logging.getLogger(__name__)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    if not ok:
        raise RuntimeError("cache did not return the value it was given")
    return "ok"


@never_cache
@require_GET
def healthz(request):
    body = {"status": "ok"}
    for name, check in (("database", _check_database), ("cache", _check_cache)):
        try:
            body[name] = check()
        except Exception as exc:  # any failure means "not healthy", never a 500
            logger.warning("healthz: %s failed: %s", name, type(exc).__name__)
            body[name] = "error"
            body["status"] = "error"
    try:
        body["queue"] = _queue_report()
    except Exception as exc:
        logger.warning("healthz: queue failed: %s", type(exc).__name__)
        body["queue"] = {"status": "error"}
        body["status"] = "error"
    else:
        if body["queue"]["status"] != "ok":
            body["status"] = "error"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def _queue_report() -> dict:
    """The task queue: tasks due, how long the oldest has waited, failed tasks. "late" (and a
    503) only when KB_TASK_MAX_WAIT is set and the oldest due task has waited longer."""
    report = queue_health()
    limit = settings.KB_TASK_MAX_WAIT
    late = limit > 0 and report["oldest_due_seconds"] > limit
    return {"status": "late" if late else "ok", **report}
