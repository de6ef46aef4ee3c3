from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kb.services.backups import BackupError, backup_read, database_restore, describe_counts


class Command(BaseCommand):
    help = (
        "Put a backup made by the backup command back: everything in the database is replaced. "
        "PATH is the backup file, or a directory (its newest backup). The caches are emptied "
        "afterwards. See docs/deploy.md, Backups."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file, or a directory of them.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument(
            "--media",
            action="store_true",
            help="Also put back the pictures archived with backup --media.",
        )
        parser.add_argument(
            "--into",
            metavar="NAME",
            help="Restore into this PostgreSQL database (it must exist: createdb) or SQLite "
            "file instead of the site's own, to check a backup without touching the site.",
        )

    def handle(self, *args, path, interactive=True, media=False, into=None, **options):
        try:
            backup = backup_read(path=path)
        except BackupError as exc:
            self._fail(exc)
        target = into or connection.settings_dict["NAME"]
        self.stdout.write(
            f"backup: {backup.path} of {backup.created_at:%Y-%m-%d %H:%M} UTC "
            f"({backup.manifest['vendor']}; {describe_counts(backup.counts)})"
        )
        if interactive:
            answer = input(
                f"Everything in the database {target} will be replaced by this backup"
                f"{' and its pictures restored' if media else ''}. Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled; nothing was changed")
        try:
            backup = database_restore(path=backup.path, media=media, target_name=into)
        except BackupError as exc:
            self._fail(exc)
        self.stdout.write(f"restored into {target}: {describe_counts(backup.counts)}")
        if media:
            self.stdout.write(f"pictures restored from {backup.media_path}")
        if into is None:
            self.stdout.write("caches emptied: pages are rendered again from the restored data")
        if backup.pending_migrations:
            self.stdout.write(
                f"the backup predates {len(backup.pending_migrations)} migration(s) of this "
                "code: run python manage.py migrate"
            )

    def _fail(self, exc: BackupError):
        for problem in exc.problems[:-1]:
            self.stderr.write(f"error: {problem}")
        raise CommandError(exc.problems[-1]) from None
