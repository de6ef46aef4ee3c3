"""The foundation: settings from the environment, health check, SQLite tuning, deploy check."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper

ROOT = Path(__file__).resolve().parent.parent
PROD_KEY = "prod-like-secret-key-" + "x7Qp2LmZ9vR4tY8wK3nB6cF1hJ5dS0aG" * 2


def _env(**overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(overrides)
    return env


def _run(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


SETTINGS_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'cache': settings.CACHES['default']['BACKEND'], 'debug': settings.DEBUG, "
    "'ssl': settings.SECURE_SSL_REDIRECT, 'hosts': settings.ALLOWED_HOSTS}))"
)


def test_debug_off_without_secret_key_fails_with_one_clear_line(tmp_path):
    result = _manage("check", DJANGO_DEBUG="0", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "DJANGO_SECRET_KEY" in lines[0]


def test_debug_off_with_a_short_secret_key_fails_with_one_clear_line(tmp_path):
    result = _manage(
        "check",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 49,
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "DJANGO_SECRET_KEY is too short (49 characters)" in lines[0]


def test_hsts_subdomains_and_preload_are_opt_in(tmp_path):
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " settings.SECURE_HSTS_PRELOAD]))"
    )
    common = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": PROD_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    default = _run(probe, **common)
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) == [31536000, False, False]
    opted = _run(
        probe,
        **common,
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        DJANGO_SECURE_HSTS_PRELOAD="1",
    )
    assert json.loads(opted.stdout) == [31536000, True, True]


def test_debug_on_works_without_secret_key(tmp_path):
    result = _run(
        SETTINGS_PROBE,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["debug"] is True and probe["ssl"] is False
    assert "127.0.0.1" in probe["hosts"]


def test_database_and_cache_come_from_the_environment(tmp_path):
    sqlite = _run(
        SETTINGS_PROBE,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=PROD_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert sqlite.returncode == 0, sqlite.stderr
    probe = json.loads(sqlite.stdout)
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["cache"] == "kb.dbcache.UpsertDatabaseCache"
    assert probe["debug"] is False and probe["ssl"] is True

    postgres = _run(
        SETTINGS_PROBE,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=PROD_KEY,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert postgres.returncode == 0, postgres.stderr
    probe = json.loads(postgres.stdout)
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["cache"] == "kb.cache_backends.ResilientRedisCache"


def test_a_bad_boolean_is_a_clear_error(tmp_path):
    result = _manage("check", DJANGO_DEBUG="maybe", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr and "Traceback" not in result.stderr


def test_check_deploy_reports_no_issues_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=PROD_KEY,
        DJANGO_ALLOWED_HOSTS="guides.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- /healthz ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "database", "cache")} == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
    }
    assert body["queue"]["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


HEALTH_PROBE = (
    "import json, django; django.setup(); from django.test import Client; "
    "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
)


def test_healthz_503_when_database_is_unreachable():
    result = _run(
        HEALTH_PROBE,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
        KB_DB_CONNECT_TIMEOUT="2",
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    body = json.loads(body)
    assert body["queue"] == {"status": "error"}
    assert {k: body[k] for k in ("status", "database", "cache")} == {
        "status": "error",
        "database": "error",
        "cache": "ok",
    }


def test_healthz_503_when_cache_is_unreachable(tmp_path):
    db = tmp_path / "h.sqlite3"
    migrate = _manage("migrate", "--noinput", DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{db}")
    assert migrate.returncode == 0, migrate.stderr
    result = _run(
        HEALTH_PROBE,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{db}",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    body = json.loads(body)
    assert body["queue"]["status"] == "ok"
    assert {k: body[k] for k in ("status", "database", "cache")} == {
        "status": "error",
        "database": "ok",
        "cache": "error",
    }


# --- SQLite as a production default -----------------------------------------------------------
def _sqlite_connection(path):
    from config import settings as project_settings

    options = dict(project_settings.DATABASES["default"].get("OPTIONS", {}))
    if project_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        # Under a PostgreSQL run the module's SQLite options are rebuilt from a SQLite URL.
        result = _run(
            "import json; from config import settings as s; print(json.dumps(s.DATABASES['default']['OPTIONS']))",
            DJANGO_DEBUG="1",
            DATABASE_URL=f"sqlite:///{path}",
        )
        options = json.loads(result.stdout)
    wrapper = DatabaseWrapper(
        {
            **settings.DATABASES["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": options,
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "TEST": {},
        },
        alias="pragma-check",
    )
    return wrapper


def test_sqlite_pragmas_are_in_force_on_a_new_connection(tmp_path, django_db_blocker):
    django_db_blocker.unblock()
    wrapper = _sqlite_connection(tmp_path / "p.sqlite3")
    try:
        with wrapper.cursor() as cursor:
            values = {}
            for pragma in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys"):
                cursor.execute(f"PRAGMA {pragma}")
                values[pragma] = cursor.fetchone()[0]
        assert values["journal_mode"] == "wal"
        assert values["busy_timeout"] >= 5000
        assert values["synchronous"] == 1  # NORMAL
        assert values["foreign_keys"] == 1
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()
        django_db_blocker.restore()


WRITER = """
import sys, django
django.setup()
from django.db import connection, transaction
for _ in range(int(sys.argv[1])):
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute("SELECT n FROM counter WHERE id = 1")
            n = c.fetchone()[0]
            c.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
"""


def test_concurrent_read_then_write_transactions_all_succeed(tmp_path):
    """8 processes each read a counter and write it back: IMMEDIATE transactions queue for the
    write lock, so no transaction fails with "database is locked" and no increment is lost."""
    import sqlite3

    db = tmp_path / "w.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (1, 0)")
    env = _env(
        DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{db}"
    )
    per_process = 50
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(per_process)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT n FROM counter").fetchone()[0] == 8 * per_process


# --- request log ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_each_request_is_logged_once_with_id_status_and_time_but_no_address(client, caplog):
    with caplog.at_level("INFO", logger="kb.request"):
        response = client.get(
            "/zh-hans/?q=secret-query", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="abc-123"
        )
    assert response["X-Request-ID"] == "abc-123"
    lines = [r.getMessage() for r in caplog.records if r.name == "kb.request"]
    assert len(lines) == 1
    assert (
        "request_id=abc-123" in lines[0] and "status=200" in lines[0] and "duration_ms=" in lines[0]
    )
    assert "203.0.113.9" not in lines[0] and "secret-query" not in lines[0]
