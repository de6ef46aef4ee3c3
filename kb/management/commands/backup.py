from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.services.backups import BackupError, database_backup, describe_counts


class Command(BaseCommand):
    help = (
        "Back the database up while the site keeps serving: SQLite through its backup API, "
        "PostgreSQL with pg_dump -Fc. PATH is a file, or a directory (one that exists, "
        "or a path without an extension) to write kb-<date>-<time>.<ext> into; a manifest (PATH.json) is written beside it. "
        "See docs/deploy.md, Backups."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file, or a directory for it.")
        parser.add_argument(
            "--force", action="store_true", help="Replace a backup already at PATH."
        )
        parser.add_argument(
            "--media",
            action="store_true",
            help="Also archive the uploaded pictures (local disk only) into PATH.media.tar.gz.",
        )
        parser.add_argument(
            "--keep",
            type=int,
            metavar="DAYS",
            help="Then delete backups in the directory PATH older than DAYS days "
            "(the newest is always kept).",
        )

    def handle(self, *args, path, force=False, media=False, keep=None, **options):
        try:
            backup = database_backup(path=path, force=force, media=media, keep_days=keep)
        except BackupError as exc:
            for problem in exc.problems[:-1]:
                self.stderr.write(f"error: {problem}")
            raise CommandError(exc.problems[-1]) from None
        manifest = backup.manifest
        self.stdout.write(
            f"backup written: {backup.path} ({manifest['bytes']} bytes; "
            f"{describe_counts(backup.counts)})"
        )
        if backup.media_path is not None:
            self.stdout.write(f"pictures: {backup.media_path} ({manifest['media']['files']} files)")
        for removed in backup.removed:
            self.stdout.write(f"removed old backup: {removed}")
