"""backup / restore (docs/deploy.md, "Backups").

SQLite: the commands run as an operator runs them, in a process of their own against a database
file (the test database is in memory), built once from the demo data and a reader's correction.
PostgreSQL: in this process against the test database, when DATABASE_URL is PostgreSQL.
"""

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from kb.services.backups import BackupError, backups_prune, database_backup, database_restore

BASE_DIR = Path(settings.BASE_DIR)
TABLES = {"guides": "kb_guide", "revisions": "kb_guiderevision", "corrections": "kb_correction"}
ADD_CORRECTION = """
from kb.models import Guide
from kb.services.corrections import correction_submit
guide = Guide.objects.published().order_by("pk").first()
correction_submit(guide=guide, step=guide.steps.order_by("position").first(), kind="outdated",
    proposed_text="The menu is now called Account, not Profile.", language=guide.language,
    client_hash="backup-test")
"""


def _env(database: Path, media: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        KB_TASKS_BACKEND="database",  # the demo's page renders are queued, not run
        KB_MEDIA_ROOT=str(media),
        KB_VAR_DIR=str(database.parent / "var"),
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def manage(*args, database: Path, media: Path | None = None, check: bool = True):
    media = media or database.parent / "media"
    result = subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=BASE_DIR,
        env=_env(database, media),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    manage("migrate", "-v0", database=database)
    manage("load_demo", "--no-accounts", database=database)
    manage("shell", "-c", ADD_CORRECTION, database=database)
    return database


@pytest.fixture
def site_file(demo_file, tmp_path) -> Path:
    """A copy of the demo site's database for one test to change."""
    database = tmp_path / "site" / "db.sqlite3"
    database.parent.mkdir()
    with sqlite3.connect(demo_file) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA journal_mode=WAL")
    return database


def rows(database: Path, table: str) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(f'SELECT * FROM "{table}" ORDER BY "id"').fetchall()


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return {
            label: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            for label, table in TABLES.items()
        }


def manifest_of(backup: Path) -> dict:
    return json.loads(backup.with_name(backup.name + ".json").read_text())


def only_backup(directory: Path) -> Path:
    (found,) = [p for p in directory.iterdir() if p.suffix == ".sqlite3"]
    return found


class Writer(threading.Thread):
    """Commits reader corrections to a database file, two per transaction, until stopped."""

    def __init__(self, database: Path):
        super().__init__(daemon=True)
        self.database = database
        self.stop = threading.Event()
        self.committed = threading.Event()
        self.error = None

    def run(self):
        try:
            db = writer_connection(self.database)
            while not self.stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                copy_correction(db)
                copy_correction(db)
                db.execute("COMMIT")
                self.committed.set()
                self.stop.wait(0.002)  # pace only: nothing below depends on timing
            db.close()
        except Exception as exc:  # reported by the test
            self.error = exc
            self.committed.set()


def writer_connection(database: Path) -> sqlite3.Connection:
    from django.db.backends.sqlite3._functions import register

    db = sqlite3.connect(database, isolation_level=None, timeout=20, check_same_thread=False)
    register(db)
    return db


def copy_correction(db: sqlite3.Connection) -> None:
    columns = [row[1] for row in db.execute('PRAGMA table_info("kb_correction")')]
    others = [c for c in columns if c not in ("id", "code")]
    names = ", ".join(f'"{c}"' for c in others)
    db.execute(
        f'INSERT INTO "kb_correction" ("code", {names}) SELECT ?, {names} FROM "kb_correction" '
        'WHERE "id" = (SELECT MIN("id") FROM "kb_correction")',
        (uuid.uuid4().hex[:8].upper(),),
    )


# --- SQLite: a consistent copy while the site writes -----------------------------------------


def test_backup_taken_while_a_writer_commits_is_one_consistent_database(site_file, tmp_path):
    before = counts(site_file)["corrections"]
    writer = Writer(site_file)
    writer.start()
    writer.committed.wait(60)
    try:
        result = manage("backup", tmp_path / "backups", database=site_file, check=False)
    finally:
        writer.stop.set()
        writer.join(60)
    assert writer.error is None
    assert result.returncode == 0, result.stderr
    after = counts(site_file)["corrections"]

    backup = only_backup(tmp_path / "backups")
    db = writer_connection(backup)  # with the functions the CHECK constraints call
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()
    copied = counts(backup)
    assert before < copied["corrections"] <= after  # the writer's first commit is in
    assert (copied["corrections"] - before) % 2 == 0  # whole transactions only
    assert manifest_of(backup)["counts"] == copied  # the manifest describes this very copy


def test_backup_does_not_wait_for_an_open_write_and_leaves_it_out(site_file, tmp_path):
    before = counts(site_file)
    db = writer_connection(site_file)
    db.execute("BEGIN IMMEDIATE")  # holds the write lock throughout the backup
    copy_correction(db)
    try:
        result = manage("backup", tmp_path / "b.sqlite3", database=site_file, check=False)
    finally:
        db.execute("COMMIT")
        db.close()
    assert result.returncode == 0, result.stderr
    assert counts(tmp_path / "b.sqlite3") == before
    assert counts(site_file)["corrections"] == before["corrections"] + 1


def test_backup_leaves_out_cached_pages_but_keeps_their_table(site_file, tmp_path):
    with sqlite3.connect(site_file) as db:
        db.execute(
            "INSERT INTO kb_page_cache (cache_key, value, expires) "
            "VALUES ('kb:1:page:x', 'x', '2999-01-01 00:00:00')"
        )
    manage("backup", tmp_path / "b.sqlite3", database=site_file)
    assert rows(tmp_path / "b.sqlite3", "kb_page_cache") == []


# --- SQLite: restore --------------------------------------------------------------------------


def test_restore_into_a_fresh_database_gives_back_guides_revisions_and_corrections(
    site_file, tmp_path
):
    pictures = site_file.parent / "media"
    (pictures / "images" / "ab").mkdir(parents=True)
    (pictures / "images" / "ab" / "abcd.webp").write_bytes(b"RIFF-picture")
    backups = tmp_path / "backups"
    manage("backup", backups, "--media", database=site_file, media=pictures)
    backup = only_backup(backups)
    written = sorted(backups.iterdir())
    assert [p.name[len(backup.name) :] for p in written] == ["", ".json", ".media.tar.gz"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}  # personal data

    fresh = tmp_path / "fresh" / "db.sqlite3"
    fresh_media = tmp_path / "fresh" / "media"
    result = manage("restore", backups, "--noinput", "--media", database=fresh, media=fresh_media)

    assert counts(fresh) == counts(site_file) == manifest_of(backup)["counts"]
    assert counts(fresh)["corrections"] == 5  # the demo's four and the one added
    for table in ("kb_guide", "kb_step", "kb_guiderevision", "kb_correction"):
        assert rows(fresh, table) == rows(site_file, table)
    assert (fresh_media / "images" / "ab" / "abcd.webp").read_bytes() == b"RIFF-picture"
    assert "restored into" in result.stdout and "caches emptied" in result.stdout
    assert manage("migrate", "--check", database=fresh).returncode == 0


def test_restore_puts_back_what_was_deleted_since_the_backup(site_file, tmp_path):
    manage("backup", tmp_path / "b.sqlite3", database=site_file)
    kept = rows(site_file, "kb_correction")
    with sqlite3.connect(site_file) as db:
        db.execute("DELETE FROM kb_correctionevent")
        db.execute("DELETE FROM kb_correction")
    manage("restore", tmp_path / "b.sqlite3", "--noinput", database=site_file)
    assert rows(site_file, "kb_correction") == kept


def test_restoring_a_backup_older_than_the_code_says_to_migrate(site_file, tmp_path):
    with sqlite3.connect(site_file) as db:
        (latest,) = db.execute(
            "SELECT name FROM django_migrations WHERE app = 'kb' ORDER BY name DESC LIMIT 1"
        ).fetchone()
        db.execute("DELETE FROM django_migrations WHERE app = 'kb' AND name = ?", (latest,))
    manage("backup", tmp_path / "b.sqlite3", database=site_file)
    fresh = tmp_path / "fresh.sqlite3"
    result = manage("restore", tmp_path / "b.sqlite3", "--noinput", database=fresh)
    assert "the backup predates 1 migration(s) of this code: run python manage.py migrate" in (
        result.stdout
    )


def test_restore_without_yes_changes_nothing(site_file, tmp_path):
    manage("backup", tmp_path / "b.sqlite3", database=site_file)
    with sqlite3.connect(site_file) as db:
        db.execute("DELETE FROM kb_correctionevent")
        db.execute("DELETE FROM kb_correction")
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "b.sqlite3")],
        cwd=BASE_DIR,
        env=_env(site_file, site_file.parent / "media"),
        input="no\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "cancelled" in result.stderr
    assert counts(site_file)["corrections"] == 0


def test_backup_refuses_to_overwrite_unless_forced(site_file, tmp_path):
    target = tmp_path / "b.sqlite3"
    manage("backup", target, database=site_file)
    again = manage("backup", target, database=site_file, check=False)
    assert again.returncode == 1
    assert f"{target} already exists (use --force to replace it)" in again.stderr
    assert manage("backup", target, "--force", database=site_file).returncode == 0


def test_backup_with_keep_deletes_backups_older_than_that(site_file, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old = fake_backup(backups, "kb-old.sqlite3", datetime.now(UTC) - timedelta(days=9))
    recent = fake_backup(backups, "kb-recent.sqlite3", datetime.now(UTC) - timedelta(days=2))
    result = manage("backup", backups, "--keep", 7, database=site_file)
    assert f"removed old backup: {old}" in result.stdout
    assert not old.exists() and not old.with_name(old.name + ".json").exists()
    assert recent.exists()
    assert len(list(backups.glob("*.json"))) == 2


# --- Refusals, in this process ----------------------------------------------------------------


def fake_backup(directory: Path, name: str, created_at: datetime, **manifest) -> Path:
    path = directory / name
    path.write_bytes(b"SQLite format 3\x00")
    data = {
        "kind": "simguides-backup",
        "format": 1,
        "vendor": "sqlite",
        "created_at": created_at.isoformat(timespec="seconds"),
        "file": name,
        "media": None,
        "sha256": "",
        "migrations": {},
        "counts": {},
        **manifest,
    }
    path.with_name(name + ".json").write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def demo_backup(demo_file) -> Path:
    target = demo_file.parent / "backups" / "demo.sqlite3"
    manage("backup", target, database=demo_file)
    return target


@pytest.fixture
def backup_copy(demo_backup, tmp_path) -> Path:
    """A backup of the demo site for one test to tamper with."""
    for suffix in ("", ".json"):
        shutil.copy(demo_backup.with_name(demo_backup.name + suffix), tmp_path)
    return tmp_path / demo_backup.name


def edit_manifest(backup: Path, **changes) -> None:
    path = backup.with_name(backup.name + ".json")
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_keep_never_deletes_the_newest_backup_however_old(tmp_path):
    long_ago = datetime.now(UTC) - timedelta(days=400)
    older = fake_backup(tmp_path, "kb-1.sqlite3", long_ago - timedelta(days=1))
    newest = fake_backup(tmp_path, "kb-2.sqlite3", long_ago)
    unrelated = tmp_path / "notes.json"
    unrelated.write_text("{}")
    assert backups_prune(directory=tmp_path, keep_days=30) == [older]
    assert newest.exists() and unrelated.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the site's engine must be SQLite")
def test_restore_refuses_a_backup_of_another_engine(backup_copy):
    backup = backup_copy
    edit_manifest(backup, vendor="postgresql")
    with pytest.raises(BackupError, match="is a postgresql backup and this site uses sqlite"):
        database_restore(path=backup)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the site's engine must be SQLite")
def test_restore_refuses_a_backup_with_a_newer_schema(backup_copy):
    backup = backup_copy
    migrations = manifest_of(backup)["migrations"]
    migrations["kb"].append("9999_from_the_future")
    edit_manifest(backup, migrations=migrations)
    with pytest.raises(BackupError, match=r"migration kb\.9999_from_the_future is unknown here"):
        database_restore(path=backup)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the site's engine must be SQLite")
def test_restore_refuses_a_file_changed_since_the_backup(backup_copy):
    backup = backup_copy
    with backup.open("ab") as file:
        file.write(b"\x00")
    with pytest.raises(BackupError, match="has changed since it was written"):
        database_restore(path=backup)


def test_restore_refuses_a_file_without_its_manifest(tmp_path):
    (tmp_path / "db.sqlite3").write_bytes(b"SQLite format 3\x00")
    with pytest.raises(BackupError, match="db.sqlite3.json is missing"):
        database_restore(path=tmp_path / "db.sqlite3")


def test_backup_says_when_its_directory_cannot_be_made(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(BackupError, match="cannot create .*a-file"):
        database_backup(path=tmp_path / "a-file" / "b.sqlite3")


def test_media_backup_refuses_pictures_in_object_storage(tmp_path):
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "x"}},
    }
    with override_settings(STORAGES=storages):
        with pytest.raises(BackupError, match="object storage"):
            database_backup(path=tmp_path, media=True)
    assert list(tmp_path.iterdir()) == []


# --- The caches after a restore ---------------------------------------------------------------


@pytest.mark.django_db
def test_emptying_the_caches_drops_pages_and_versions_but_not_other_redis_keys():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from kb.caching import bump_tags, caches_empty, content_version

    caches["pages"].set("page:x", {"gz": b""})
    bump_tags(["guide:1"])
    version = content_version()
    redis = isinstance(caches["default"], RedisCache)
    if redis:
        client = caches["default"]._cache.get_client(write=True)
        client.set("rq:queue:backup-test", "kept")
    caches_empty()
    assert caches["pages"].get("page:x") is None
    assert caches["default"].get("kb:tag:guide:1") is None
    assert content_version() != version
    if redis:
        assert client.get("rq:queue:backup-test") == b"kept"
        client.delete("rq:queue:backup-test")


# --- PostgreSQL -------------------------------------------------------------------------------

postgres = pytest.mark.skipif(
    connection.vendor != "postgresql" or shutil.which("pg_dump") is None,
    reason="needs DATABASE_URL=postgres://… and pg_dump",
)


@pytest.fixture
def pg_demo(transactional_db, settings):
    from django.core.management import call_command

    from kb.models import Guide
    from kb.services.corrections import correction_submit

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.KB_TASKS_BACKEND = "database"
    with open(os.devnull, "w") as quiet:
        call_command("load_demo", "--no-accounts", stdout=quiet)
    guide = Guide.objects.published().order_by("pk").first()
    correction_submit(
        guide=guide,
        step=guide.steps.order_by("position").first(),
        kind="outdated",
        proposed_text="The menu is now called Account, not Profile.",
        language=guide.language,
        client_hash="backup-test",
    )


@pytest.fixture
def fresh_pg_database():
    """An empty database beside the test database, dropped afterwards."""
    import psycopg

    name = f"test_backup_restore_{uuid.uuid4().hex[:8]}"
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_rows(name: str, query: str) -> list[tuple]:
    import psycopg

    params = {**connection.get_connection_params(), "dbname": name}
    with psycopg.connect(**params) as db:
        return db.execute(query).fetchall()


PG_QUERIES = [
    *(f'SELECT COUNT(*) FROM "{table}"' for table in TABLES.values()),
    'SELECT "id", "slug", "title", "summary" FROM "kb_guide" ORDER BY "id"',
    'SELECT "guide_id", "position", "body" FROM "kb_step" ORDER BY "guide_id", "position"',
    'SELECT "code", "proposed_text", "status" FROM "kb_correction" ORDER BY "id"',
]


@postgres
def test_postgresql_restore_into_a_fresh_database_gives_back_the_same_content(
    pg_demo, fresh_pg_database, tmp_path
):
    site = connection.settings_dict["NAME"]
    backup = database_backup(path=tmp_path)
    assert backup.path.suffix == ".pgdump"
    assert backup.counts["corrections"] == 5

    restored = database_restore(path=backup.path, target_name=fresh_pg_database)

    assert restored.counts == backup.counts
    for query in PG_QUERIES:
        assert pg_rows(fresh_pg_database, query) == pg_rows(site, query), query


@postgres
def test_postgresql_restore_puts_back_what_was_deleted_and_empties_the_caches(pg_demo, tmp_path):
    from django.core.cache import caches

    from kb.models import Correction, CorrectionEvent

    backup = database_backup(path=tmp_path / "site.pgdump")
    CorrectionEvent.objects.all().delete()
    Correction.objects.all().delete()
    caches["pages"].set("page:x", {"gz": b""})

    database_restore(path=backup.path)

    assert Correction.objects.count() == 5
    assert caches["pages"].get("page:x") is None


@postgres
def test_postgresql_backup_says_when_pg_dump_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump is not installed or not on PATH"):
        database_backup(path=tmp_path / "b.pgdump")
    assert not (tmp_path / "b.pgdump").exists()


@postgres
def test_postgresql_restore_refuses_a_sqlite_backup(tmp_path):
    backup = fake_backup(tmp_path, "kb.sqlite3", datetime.now(UTC))
    with pytest.raises(BackupError, match="is a sqlite backup and this site uses postgresql"):
        database_restore(path=backup)


@postgres
@pytest.mark.django_db
def test_postgresql_restore_refuses_a_database_with_migrations_the_backup_lacks(tmp_path):
    backup = database_backup(path=tmp_path / "site.pgdump")
    migrations = manifest_of(backup.path)["migrations"]
    dropped = migrations["kb"].pop()
    edit_manifest(backup.path, migrations=migrations)
    with pytest.raises(BackupError, match=f"has migrations the backup lacks \\(kb.{dropped}\\)"):
        database_restore(path=backup.path)


def test_keep_deletes_nothing_outside_the_backup_directory(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    precious = tmp_path / "db.sqlite3"
    precious.write_bytes(b"the site's database")
    long_ago = datetime.now(UTC) - timedelta(days=400)
    fake_backup(backups, "kb-1.sqlite3", long_ago - timedelta(days=3), file=str(precious))
    fake_backup(backups, "kb-2.sqlite3", long_ago - timedelta(days=2), file="../db.sqlite3")
    fake_backup(
        backups, "kb-3.sqlite3", long_ago - timedelta(days=1), media={"file": "../db.sqlite3"}
    )
    fake_backup(backups, "kb-4.sqlite3", long_ago)
    backups_prune(directory=backups, keep_days=30)
    assert precious.read_bytes() == b"the site's database"


def test_restore_refuses_a_manifest_that_names_a_file_elsewhere(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fake_backup(elsewhere, "kb-other.sqlite3", datetime.now(UTC))
    backups = tmp_path / "backups"
    backups.mkdir()
    fake_backup(backups, "kb-1.sqlite3", datetime.now(UTC), file="../elsewhere/kb-other.sqlite3")
    with pytest.raises(BackupError, match="no backup in"):
        database_restore(path=backups)


SPY_ON_MODES = """
import os, stat
from pathlib import Path
from kb.services import backups
modes = set()
finish = backups._finish
def spy(partial, path):
    modes.add(oct(stat.S_IMODE(os.stat(partial).st_mode)))
    finish(partial, path)
backups._finish = spy
os.umask(0o022)
backups.database_backup(path=Path(%r), media=True)
print(sorted(modes))
"""


def test_backup_files_are_private_while_they_are_written_too(site_file, tmp_path):
    media = tmp_path / "media"
    (media / "images").mkdir(parents=True)
    (media / "images" / "a.png").write_bytes(b"\x89PNG")
    target = tmp_path / "backups" / "b.sqlite3"
    result = manage("shell", "-c", SPY_ON_MODES % str(target), database=site_file, media=media)
    assert result.stdout.splitlines()[-1] == "['0o600']"


def test_restore_from_a_directory_whose_newest_backup_file_is_gone_says_so(tmp_path):
    gone = fake_backup(tmp_path, "kb-1.sqlite3", datetime.now(UTC))
    gone.unlink()
    with pytest.raises(BackupError, match="kb-1.sqlite3 does not exist"):
        database_restore(path=tmp_path)


def test_keep_passes_over_a_damaged_manifest_instead_of_failing(tmp_path):
    long_ago = datetime.now(UTC) - timedelta(days=400)
    older = fake_backup(tmp_path, "kb-1.sqlite3", long_ago - timedelta(days=1))
    damaged = fake_backup(tmp_path, "kb-2.sqlite3", long_ago)
    manifest = json.loads(damaged.with_name(damaged.name + ".json").read_text())
    manifest["created_at"] = "yesterday"
    del manifest["counts"]
    damaged.with_name(damaged.name + ".json").write_text(json.dumps(manifest))
    naive = fake_backup(tmp_path, "kb-3.sqlite3", long_ago)
    edit_manifest(naive, created_at="2025-01-01T00:00:00")
    fake_backup(tmp_path, "kb-4.sqlite3", long_ago)
    assert backups_prune(directory=tmp_path, keep_days=30) == [older]
    assert damaged.exists() and naive.exists()
    with pytest.raises(BackupError, match="is missing or is not a backup manifest"):
        database_restore(path=damaged)


def test_pg_restore_reads_a_backup_named_like_an_option_as_a_file(tmp_path, monkeypatch):
    from kb.services import backups

    class Closed:
        def close(self):
            pass

    commands = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(backups, "_tool", lambda name: name)
    monkeypatch.setattr(backups, "_run", lambda command, **kwargs: commands.append(command))
    monkeypatch.setattr(backups, "_pg_connect", lambda connection, name: Closed())
    monkeypatch.setattr(backups, "_state", lambda db: {})
    backup = backups.Backup(path=Path("./--clean.pgdump"), manifest={})
    backups._postgresql_restore(backup, connection, "kb_restored")
    (command,) = commands
    assert command[-1] == str(tmp_path / "--clean.pgdump")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the site's engine must be SQLite")
def test_restore_reads_a_backup_whose_folder_name_has_uri_characters(demo_backup, tmp_path):
    folder = tmp_path / "kb #2 100%"
    folder.mkdir()
    for suffix in ("", ".json"):
        shutil.copy(demo_backup.with_name(demo_backup.name + suffix), folder)
    target = tmp_path / "checked.sqlite3"
    database_restore(path=folder / demo_backup.name, target_name=str(target))
    assert counts(target) == manifest_of(demo_backup)["counts"]
