import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_sessionstart(session):
    """Collect static files once per run (not in xdist workers): pages are rendered with the
    production manifest storage, as they are served."""
    if not hasattr(session.config, "workerinput"):
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Cached pages and counters must not leak from one test into the next."""
    uses_db = request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(
        request.fixturenames
    )
    if not uses_db and "DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
        yield
        return
    cache.clear()
    yield
    cache.clear()
