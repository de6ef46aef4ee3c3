from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kb import traditional

SIMPLIFIED_LOCALE, TRADITIONAL_LOCALE = "zh_Hans", "zh_Hant"


def derive_traditional(source: Path) -> polib.POFile:
    """The zh_Hant catalogue: every zh_Hans entry with its translation converted by OpenCC
    (``kb.traditional``; placeholders, addresses and keep-as-is names unchanged)."""
    po = polib.pofile(str(source), wrapwidth=100)
    po.metadata["Language"] = TRADITIONAL_LOCALE
    po.metadata["Language-Team"] = "Traditional Chinese"
    po.header = (
        "Derived from zh_Hans/LC_MESSAGES/django.po by `manage.py compiletranslations`.\n"
        "Do not edit: change the Simplified catalogue and run the command again."
    )
    for entry in po:
        entry.msgstr = traditional.to_traditional(entry.msgstr, names=traditional.KEEP_AS_IS)
        entry.msgstr_plural = {
            index: traditional.to_traditional(text, names=traditional.KEEP_AS_IS)
            for index, text in entry.msgstr_plural.items()
        }
    return po


class Command(BaseCommand):
    help = (
        "Derive the Traditional Chinese catalogue (zh_Hant) from the Simplified one (zh_Hans), "
        "then compile the committed .po files into .mo files (pure Python: gettext's msgfmt need "
        "not be installed). Only files whose .po is newer than their .mo are compiled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile every file.")

    def handle(self, *args, force=False, **options):
        compiled = 0
        for locale_path in settings.LOCALE_PATHS:
            self._derive(Path(locale_path), force)
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

    def _derive(self, locale_path: Path, force: bool) -> None:
        for source in sorted((locale_path / SIMPLIFIED_LOCALE / "LC_MESSAGES").glob("*.po")):
            target = locale_path / TRADITIONAL_LOCALE / "LC_MESSAGES" / source.name
            derived = str(derive_traditional(source))
            if not force and target.exists() and target.read_text(encoding="utf-8") == derived:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(derived, encoding="utf-8")
            self.stdout.write(f"derived {target.relative_to(locale_path)}")
