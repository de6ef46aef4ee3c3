from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Compile the committed .po files into .mo files (pure Python: gettext's msgfmt need not "
        "be installed). Only files whose .po is newer than their .mo are compiled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile every file.")

    def handle(self, *args, force=False, **options):
        compiled = 0
        for locale_path in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if (
                    not force
                    and mo_path.exists()
                    and mo_path.stat().st_mtime >= po_path.stat().st_mtime
                ):
                    continue
                try:
                    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}") from None
                compiled += 1
        self.stdout.write(f"compiled {compiled} translation file(s)")
