from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kb.services.corrections import personal_data_purge


class Command(BaseCommand):
    help = (
        "Erase reader corrections' personal data that is no longer needed: a reporter's email "
        "once the correction is resolved and the reader was told (or it was confirmed as spam), "
        "a reader's screenshot once the correction is decided, "
        'and every email, sender key and "did this work?" reader key older than '
        "KB_PERSONAL_DATA_DAYS, with the period keys that made those keys. "
        "Run it daily (cron or a systemd timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Age limit in days (default: KB_PERSONAL_DATA_DAYS, now {settings.KB_PERSONAL_DATA_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be erased."
        )

    def handle(self, *args, days=None, dry_run=False, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        if days is None and settings.KB_PERSONAL_DATA_DAYS < 1:
            raise CommandError("KB_PERSONAL_DATA_DAYS must be at least 1")
        result = personal_data_purge(days=days, dry_run=dry_run)
        verb = "Would erase" if dry_run else "Erased"
        self.stdout.write(
            f"{verb} {result['emails']} email(s), {result['hashes']} sender key(s), "
            f"{result['keys']} old period key(s), {result['screenshots']} screenshot(s) and "
            f"{result['reader_keys']} reader key(s)."
        )
