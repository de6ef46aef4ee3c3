"""Backups of the database, taken while the site serves, and putting one back (docs/deploy.md).

A backup is the database in its engine's own format, readable without this code, with a
manifest beside it (``<file>.json``) that says what it holds:

- SQLite: a copy made with SQLite's backup API from a connection of its own, in one step, so it
  is one consistent snapshot even while workers write (WAL lets them go on meanwhile). Never a
  file copy, which would miss what is still in the ``-wal`` file or catch a page half written.
- PostgreSQL: ``pg_dump -Fc`` on a snapshot exported by a REPEATABLE READ transaction, so the
  counts and the migration state in the manifest describe exactly what was dumped.

The cache tables' rows are left out (their table stays): they are rebuilt by serving, and the
shared page cache can be larger than everything else. With ``media=True`` the uploaded pictures
on a local disk go into ``<file>.media.tar.gz``; pictures in an object-storage bucket
(``KB_S3_BUCKET``) are backed up with the bucket's own tools (docs/deploy.md, "Backups").

Restoring checks the manifest first: the same engine, a schema no newer than this code's, the
file unchanged since it was written (SHA-256). After restoring into the site's own database the
caches are emptied (kb.caching.caches_empty), so no page rendered from the lost data is served.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.db.backends.sqlite3._functions import register as register_functions
from django.db.migrations.loader import MigrationLoader
from django.utils.module_loading import import_string

from kb.caching import caches_empty
from kb.models import Correction, Guide, GuideRevision

FORMAT = 1
KIND = "simguides-backup"
MANIFEST_SUFFIX = ".json"
MEDIA_SUFFIX = ".media.tar.gz"
EXTENSIONS = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
# How each engine's file begins: a dump of the other engine is refused even without a manifest.
MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
COUNTED = {"guides": Guide, "revisions": GuideRevision, "corrections": Correction}
# What every manifest written by database_backup holds, and what reading one relies on.
MANIFEST_KEYS = {
    "format": int,
    "vendor": str,
    "created_at": str,
    "sha256": str,
    "migrations": dict,
    "counts": dict,
}


class BackupError(Exception):
    """A backup or restore that cannot be done; each problem is one line of ``problems``."""

    def __init__(self, *problems: str):
        self.problems = list(problems)
        super().__init__("; ".join(problems))


@dataclass
class Backup:
    path: Path
    manifest: dict
    media_path: Path | None = None
    removed: list[Path] = field(default_factory=list)  # older backups pruned (``keep_days``)
    pending_migrations: list[str] = field(default_factory=list)  # after a restore

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest["counts"]

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["created_at"])


# --- Backing up ---------------------------------------------------------------------------------


def database_backup(
    *,
    path: Path,
    force: bool = False,
    media: bool = False,
    keep_days: int | None = None,
    using: str = "default",
    now: datetime | None = None,
) -> Backup:
    """Write a backup of database ``using`` to ``path`` and its manifest beside it; with
    ``media``, the uploaded pictures too. ``path`` is a file, or a directory to put a
    ``kb-<time>`` file in (one that exists, or a path without an extension). With ``keep_days``,
    backups in that directory older than that many days are deleted once this one is complete."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in EXTENSIONS:
        raise BackupError(f"backups of a {vendor} database are not supported")
    now = now or datetime.now(UTC)
    path = Path(path)
    if path.is_dir() or str(path).endswith(os.sep) or not path.suffix:
        path = path / f"kb-{now:%Y%m%d-%H%M%S}{EXTENSIONS[vendor]}"
    elif keep_days is not None:
        raise BackupError("--keep needs PATH to be a directory (the backups to prune are in it)")
    manifest_path = _manifest_path(path)
    media_path = _media_path(path) if media else None
    if media:
        _media_root()  # refuse before the database is copied
    _prepare_target(path, [manifest_path, media_path], force=force)

    partial = path.with_name(f".{path.name}.partial")
    _start_private(partial)
    try:
        if vendor == "sqlite":
            state = _sqlite_backup(connection.settings_dict, partial)
        else:
            state = _postgresql_backup(connection, partial)
        _finish(partial, path)
    finally:
        partial.unlink(missing_ok=True)

    manifest = {
        "kind": KIND,
        "format": FORMAT,
        "vendor": vendor,
        "created_at": now.isoformat(timespec="seconds"),
        "file": path.name,
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        **state,
        "media": None,
    }
    if media_path is not None:
        manifest["media"] = {"file": media_path.name, "files": _media_backup(media_path)}
    _write_json(manifest_path, manifest)
    backup = Backup(path=path, manifest=manifest, media_path=media_path)
    if keep_days is not None:
        backup.removed = backups_prune(
            directory=path.parent, keep_days=keep_days, now=now, keep=path
        )
    return backup


def _prepare_target(path: Path, others, *, force: bool) -> None:
    existing = [p for p in (path, *others) if p is not None and p.exists()]
    if existing and not force:
        raise BackupError(
            *(f"{p} already exists (use --force to replace it)" for p in existing),
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {path.parent}: {exc.strerror}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise BackupError(f"{path.parent} is not writable by this user")


def _sqlite_name(settings_dict) -> str:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("the database is in memory: there is nothing on disk to back up")
    return name


def _sqlite_connect(name: str, **kwargs) -> sqlite3.Connection:
    return sqlite3.connect(name, uri=name.startswith("file:"), **kwargs)


def _sqlite_backup(settings_dict, target: Path) -> dict:
    name = _sqlite_name(settings_dict)
    if not name.startswith("file:") and not Path(name).is_file():
        raise BackupError(f"the database file {name} does not exist")
    timeout = settings_dict.get("OPTIONS", {}).get("timeout", 20)
    source = _sqlite_connect(name, timeout=timeout)
    copy = sqlite3.connect(target)
    register_functions(copy)  # REGEXP and others, which CHECK constraints call on VACUUM
    try:
        # pages=-1: everything in one step, i.e. one read transaction: one snapshot. Writers
        # carry on in the WAL meanwhile; a stepwise copy would restart at each of their commits.
        source.backup(copy, pages=-1)
        source.close()
        copy.isolation_level = None
        for table in _cache_tables():
            if _sqlite_has_table(copy, table):
                copy.execute(f'DELETE FROM "{table}"')
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        copy.execute("VACUUM")
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed SQLite's check: {check}")
        return _state(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {name}: {exc}") from None
    finally:
        source.close()
        copy.close()


def _postgresql_backup(connection, target: Path) -> dict:
    pg_dump = _tool("pg_dump")
    settings_dict = connection.settings_dict
    raw = _pg_connect(connection, settings_dict["NAME"])
    try:
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        state = _state(raw)  # in the snapshot that pg_dump reads
        command = [
            pg_dump,
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={target}",
            *(f"--exclude-table-data={table}" for table in _cache_tables()),
            f"--dbname={settings_dict['NAME']}",
        ]
        _run(command, env=_pg_env(settings_dict), what="pg_dump")
        raw.rollback()
        return state
    finally:
        raw.close()


def _state(db) -> dict:
    """The migrations applied and the counts, read through DB-API connection ``db`` (the copy,
    or the transaction that holds the dump's snapshot)."""
    cursor = db.cursor()
    try:
        cursor.execute('SELECT "app", "name" FROM "django_migrations"')
        migrations: dict[str, list[str]] = {}
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
        counts = {}
        for label, model in COUNTED.items():
            cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')
            counts[label] = cursor.fetchone()[0]
    finally:
        cursor.close()
    migrations = {app: sorted(names) for app, names in sorted(migrations.items())}
    return {
        "migrations": migrations,
        "heads": {app: names[-1] for app, names in migrations.items()},
        "counts": counts,
    }


def _cache_tables() -> list[str]:
    tables = []
    for options in settings.CACHES.values():
        backend = import_string(options["BACKEND"])
        if issubclass(backend, BaseDatabaseCache):
            tables.append(options["LOCATION"])
    return tables


def _sqlite_has_table(db, table: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,))
    return found.fetchone() is not None


# --- Pictures -----------------------------------------------------------------------------------


def _media_root() -> Path:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise BackupError(
            "pictures are kept in object storage (KB_S3_BUCKET), not on this disk: back the "
            "bucket up with its own tools (docs/deploy.md, Backups) and leave out --media"
        )
    return Path(storage.location)


def _media_backup(target: Path) -> int:
    root = _media_root()
    partial = target.with_name(f".{target.name}.partial")
    _start_private(partial)
    files = 0
    try:
        with tarfile.open(partial, "w:gz") as archive:
            if root.is_dir():
                for item in sorted(root.rglob("*")):
                    if item.is_file() and not item.is_symlink():
                        archive.add(item, arcname=str(item.relative_to(root)), recursive=False)
                        files += 1
        _finish(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return files


def _media_restore(archive_path: Path) -> int:
    root = _media_root()
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        archive.extractall(root, members=members, filter="data")
    return len(members)


# --- Reading a backup ---------------------------------------------------------------------------


def backup_read(*, path: Path) -> Backup:
    """The backup at ``path`` (its database file, or a directory: the newest backup in it),
    with its manifest checked for what can be checked without a database."""
    path = Path(path)
    if path.is_dir():
        found = _backups_in(path)
        if not found:
            raise BackupError(f"no backup in {path} (no manifest *.json written by backup)")
        path = found[-1].path  # then checked as if named
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    manifest_path = _manifest_path(path)
    manifest = _read_manifest(manifest_path)
    if manifest is None:
        raise BackupError(
            f"{manifest_path} is missing or is not a backup manifest: restore only backups "
            "written by the backup command"
        )
    if manifest["format"] > FORMAT:
        raise BackupError(
            f"the backup's format ({manifest['format']}) is newer than this code reads "
            f"({FORMAT}): restore it with the version that wrote it"
        )
    media = manifest.get("media")
    media_path = path.with_name(media["file"]) if media else None
    return Backup(path=path, manifest=manifest, media_path=media_path)


def _read_manifest(path: Path) -> dict | None:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        return None
    if any(not isinstance(manifest.get(key), kind) for key, kind in MANIFEST_KEYS.items()):
        return None  # damaged or hand-made: pruning and restoring pass over it
    try:
        aware = datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    except ValueError:
        aware = False
    if not aware:  # compared with UTC times when pruning
        return None
    # The files it names are beside it: a manifest naming a path elsewhere is not one of ours
    # (pruning would delete that path, restoring would read it).
    media = manifest.get("media")
    if not _plain_name(manifest.get("file")) or (
        media and not (isinstance(media, dict) and _plain_name(media.get("file")))
    ):
        return None
    return manifest


def _plain_name(name) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name


def _backups_in(directory: Path) -> list[Backup]:
    """The complete backups in ``directory`` (those with a manifest), oldest first."""
    found = []
    for manifest_path in directory.glob(f"*{MANIFEST_SUFFIX}"):
        manifest = _read_manifest(manifest_path)
        if manifest is None:
            continue
        path = directory / manifest["file"]
        media = manifest.get("media")
        found.append(
            Backup(
                path=path,
                manifest=manifest,
                media_path=directory / media["file"] if media else None,
            )
        )
    return sorted(found, key=lambda backup: backup.created_at)


def backups_prune(
    *, directory: Path, keep_days: int, now: datetime | None = None, keep: Path | None = None
) -> list[Path]:
    """Delete the backups in ``directory`` made more than ``keep_days`` days before ``now``
    (never ``keep``, nor the newest one); the database files removed."""
    if keep_days < 1:
        raise BackupError("--keep must be at least 1 (days)")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    backups = _backups_in(Path(directory))
    removed = []
    for backup in backups[:-1]:
        if backup.created_at >= cutoff or (keep is not None and backup.path == keep):
            continue
        for item in (backup.path, backup.media_path, _manifest_path(backup.path)):
            if item is not None:
                item.unlink(missing_ok=True)
        removed.append(backup.path)
    return removed


# --- Restoring ----------------------------------------------------------------------------------


def database_restore(
    *,
    path: Path,
    media: bool = False,
    target_name: str | None = None,
    using: str = "default",
) -> Backup:
    """Put the backup at ``path`` back into database ``using`` (or, with ``target_name``, into
    that database name or SQLite file instead: to try a restore without touching the site).

    Everything in the target is replaced by the backup. The restored rows are counted and
    compared with the manifest; restoring into the site's database empties the caches."""
    connection = connections[using]
    backup = backup_read(path=path)
    vendor = connection.vendor
    problems = _restore_problems(backup, vendor)
    if problems:
        raise BackupError(*problems)
    if media and backup.media_path is None:
        raise BackupError(f"{backup.path.name} was made without --media: it holds no pictures")
    if media:
        _media_root()
    settings_dict = connection.settings_dict
    if vendor == "sqlite":
        target = target_name or _sqlite_name(settings_dict)
    else:
        target = target_name or settings_dict["NAME"]
        _postgresql_check(connection, target, backup.manifest["migrations"])
    connections.close_all()  # this process holds nothing open on the database it replaces
    if vendor == "sqlite":
        state = _sqlite_restore(backup.path, target, settings_dict)
    else:
        state = _postgresql_restore(backup, connection, target)
    if state["counts"] != backup.counts:
        raise BackupError(
            f"restored {describe_counts(state['counts'])}, but the backup holds "
            f"{describe_counts(backup.counts)}"
        )
    if media:
        _media_restore(backup.media_path)
    if target_name is None:
        try:
            caches_empty()
        except Exception as exc:  # Redis down: the database itself is back
            raise BackupError(
                f"the database was restored, but the caches could not be emptied ({exc}): "
                "empty them (in Redis, the keys with the site's prefix) before serving again"
            ) from None
    backup.pending_migrations = _pending_migrations(state["migrations"])
    return backup


def _restore_problems(backup: Backup, vendor: str) -> list[str]:
    manifest = backup.manifest
    if manifest["vendor"] != vendor:
        return [
            f"{backup.path.name} is a {manifest['vendor']} backup and this site uses "
            f"{vendor} (DATABASE_URL): it cannot be restored here"
        ]
    with backup.path.open("rb") as file:
        head = file.read(len(MAGIC[vendor]))
    if head != MAGIC[vendor]:
        return [f"{backup.path.name} is not a {vendor} backup file"]
    problems = []
    if _sha256(backup.path) != manifest["sha256"]:
        problems.append(f"{backup.path.name} has changed since it was written (SHA-256 differs)")
    if backup.media_path is not None and not backup.media_path.is_file():
        problems.append(f"{backup.media_path} is missing")
    for app, name in _newer_migrations(manifest["migrations"]):
        problems.append(
            f"the backup's schema is newer than this code: migration {app}.{name} is unknown "
            "here (deploy the version that made the backup, then restore)"
        )
    return problems


def _known_migrations() -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations:
        known.setdefault(app, set()).add(name)
    return known


def _newer_migrations(applied: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Migrations the backup had applied that come after every one this code has for the app.
    (Unknown names that sort earlier are old migrations since squashed or deleted.)"""
    known = _known_migrations()
    newer = []
    for app, names in applied.items():
        if app not in known:
            continue
        newer += [(app, n) for n in names if n not in known[app] and n > max(known[app])]
    return newer


def _pending_migrations(applied: dict[str, list[str]]) -> list[str]:
    """This code's migrations that the restored database has not had applied."""
    pending = []
    for app, names in _known_migrations().items():
        done = set(applied.get(app, ()))
        pending += [f"{app}.{name}" for name in sorted(names) if name not in done]
    return pending


def _sqlite_restore(source_path: Path, target: str, settings_dict) -> dict:
    # as_uri() escapes "#", "?" and "%": a raw path with one opens another (empty) database.
    source = sqlite3.connect(f"{source_path.absolute().as_uri()}?mode=ro", uri=True)
    register_functions(source)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{source_path.name} failed SQLite's check: {check}")
        if not target.startswith("file:"):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        timeout = settings_dict.get("OPTIONS", {}).get("timeout", 20)
        destination = _sqlite_connect(target, timeout=timeout)
        try:
            # Through SQLite, page by page under its write lock: connections that other
            # processes hold see the restored database on their next transaction.
            source.backup(destination, pages=-1)
            destination.execute("PRAGMA journal_mode=WAL")
            return _state(destination)
        finally:
            destination.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore into {target}: {exc}") from None
    finally:
        source.close()


def _postgresql_check(connection, target: str, applied: dict[str, list[str]]) -> None:
    _tool("pg_restore")
    db = _pg_connect(connection, target)
    try:
        ahead = _postgresql_ahead(db, applied)
    finally:
        db.close()
    if ahead:
        raise BackupError(
            f"database {target} has migrations the backup lacks ({', '.join(ahead[:3])}"
            f"{', …' if len(ahead) > 3 else ''}): their tables would be left behind. Restore "
            "into an empty database (createdb), then migrate"
        )


def _postgresql_restore(backup: Backup, connection, target: str) -> dict:
    pg_restore = _tool("pg_restore")
    settings_dict = {**connection.settings_dict, "NAME": target}
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={target}",
        str(backup.path.absolute()),  # never read as an option, whatever the file is called
    ]
    _run(command, env=_pg_env(settings_dict), what="pg_restore")
    db = _pg_connect(connection, target)
    try:
        return _state(db)
    finally:
        db.close()


def _postgresql_ahead(db, applied: dict[str, list[str]]) -> list[str]:
    """Migrations recorded in the target database that the backup does not have."""
    with db.cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return []
        cursor.execute('SELECT "app", "name" FROM "django_migrations" ORDER BY "app", "name"')
        rows = cursor.fetchall()
    db.rollback()
    return [f"{app}.{name}" for app, name in rows if name not in applied.get(app, ())]


# --- Plumbing -----------------------------------------------------------------------------------


def _pg_connect(connection, name: str):
    """A connection of its own to database ``name`` on the server ``connection`` uses."""
    params = {**connection.get_connection_params(), "dbname": name}
    try:
        return connection.get_new_connection(params)
    except connection.Database.Error as exc:
        message = " ".join(str(exc).split()).rpartition("FATAL:")[2].strip()
        raise BackupError(f"cannot connect to database {name}: {message}") from None


def _pg_env(settings_dict) -> dict[str, str]:
    """The environment for pg_dump / pg_restore: Django's own (password, SSL, service), with
    host, port and user, so that no secret appears on a command line."""
    from django.db.backends.postgresql.client import DatabaseClient

    _, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(env or {})}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed or not on PATH (Debian/Ubuntu: apt install "
            "postgresql-client, of the server's major version or newer)"
        )
    return found


def _run(command: list[str], *, env, what: str) -> None:
    with tempfile.TemporaryFile() as errors:
        result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        if result.returncode != 0:
            errors.seek(0)
            lines = [line.strip() for line in errors.read().decode(errors="replace").splitlines()]
            lines = [line for line in lines if line] or [f"exit status {result.returncode}"]
            raise BackupError(*(f"{what}: {line}" for line in lines[:5]))


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def _media_path(path: Path) -> Path:
    return path.with_name(path.name + MEDIA_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    partial = path.with_name(f".{path.name}.partial")
    _start_private(partial)
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _finish(partial, path)


def _start_private(partial: Path) -> None:
    """An empty ``partial`` readable by its owner only from the start, not just once complete
    (whatever the umask); one left by a backup that was killed is replaced."""
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _finish(partial: Path, path: Path) -> None:
    """Give a file written under a temporary name its own name, readable by its owner only
    (a backup holds password hashes and readers' email addresses)."""
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def describe_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(label, 0)} {label}" for label in COUNTED)
