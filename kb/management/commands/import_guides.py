import json
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from kb.importing.reading import SourcePathError, collect_files
from kb.models import Language
from kb.services.importing import CREATED, FAILED, UPDATED, guides_import

COLUMNS = ("file", "status", "carrier", "country", "task", "steps", "problems", "notes", "stripped")


class Command(BaseCommand):
    help = _(
        "Import Markdown or plain-text articles (files or folders) as draft guides and report "
        "what was found, created, updated or refused for each file. Exit code 0 when every file "
        "was imported, 1 when any failed, 2 on bad arguments."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help=_("A file or a folder."))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Report what would happen; write nothing.")
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the report as JSON.")
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help=_(
                "Enqueue the import for the task worker (which must see the same files) and "
                "return at once; the report is kept on the task in the admin."
            ),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _label in Language.choices],
            help=_("Language of the articles (detected from the text when omitted)."),
        )

    def execute(self, *args, **options):
        # Reports are for operators and scripts: English, whatever the site's default language.
        with translation.override("en"):
            return super().execute(*args, **options)

    def handle(self, *args, paths, dry_run, as_json, language, background=False, **options):
        self.verbosity = options["verbosity"]
        try:
            files = collect_files(paths)
        except SourcePathError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if background:
            if dry_run:
                raise CommandError(
                    _("--background and --dry-run do not go together."), returncode=2
                )
            record = enqueue_import(files, language)
            self.stdout.write(
                _("%(count)d files: import enqueued as task #%(id)d.")
                % {"count": len(files), "id": record.pk}
            )
            return

        reports = guides_import(paths=files, language=language, dry_run=dry_run)

        if as_json:
            self.stdout.write(
                json.dumps([report.as_dict() for report in reports], ensure_ascii=False, indent=2)
            )
        else:
            self._write_table(reports)
            self.stdout.write(self._summary_line(reports, dry_run))
        for report in reports:
            if report.error:
                self.stderr.write(f"{report.file}: {report.error}")

        failed = sum(report.status == FAILED for report in reports)
        if failed:
            raise CommandError(
                _("Not imported: %(failed)d of %(total)d files.")
                % {"failed": failed, "total": len(reports)},
                returncode=1,
            )

    def _write_table(self, reports):
        rows = [COLUMNS] + [
            (
                report.file,
                report.status,
                report.carrier or "-",
                report.country or "-",
                report.task or "-",
                str(report.steps),
                str(report.problems),
                str(report.notes),
                str(len(report.stripped)),
            )
            for report in reports
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(COLUMNS))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)
                ).rstrip()
            )
        for report in reports:
            for warning in report.warnings:
                self.stdout.write(f"  {report.file}: {warning}")
            if report.stripped and self.verbosity >= 2:
                self.stdout.write(
                    f"  {report.file}: "
                    + _("removed %(items)s") % {"items": "; ".join(report.stripped)}
                )

    def _summary_line(self, reports, dry_run):
        counts = {
            status: sum(r.status == status for r in reports)
            for status in (CREATED, UPDATED, FAILED)
        }
        line = _(
            "%(total)d files: %(created)d created, %(updated)d updated, %(failed)d failed."
        ) % {
            "total": len(reports),
            **counts,
        }
        if dry_run:
            line += " " + _("Dry run: nothing was written.")
        return line


def enqueue_import(files, language):
    from kb import background, tasks

    paths = [str(path.resolve()) for path in files]
    return background.enqueue(tasks.guides_import, paths=paths, language=language)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
