from django.core.management.base import BaseCommand, CommandError

from kb.models import Guide
from kb.services.sourcewatch import WatchBusy, sources_watch


class Command(BaseCommand):
    help = (
        "Fetch the pages that published guides cite, compare their main text with the text "
        "each guide was last verified against, and list changed, gone and unreachable pages. "
        "The schedule (run_schedule) runs this daily as a background task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--guide", metavar="SLUG", help="Only the sources of this guide.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Fetch and report; store nothing."
        )

    def handle(self, *args, guide=None, dry_run=False, **options):
        if guide and not Guide.objects.published().filter(slug=guide).exists():
            raise CommandError(f"no published guide with the slug {guide!r}")
        try:
            report = sources_watch(guide_slug=guide, dry_run=dry_run)
        except WatchBusy as exc:
            raise CommandError(str(exc)) from None
        for label, urls in (("changed", report.changed), ("gone", report.gone)):
            for url in urls:
                self.stdout.write(f"{label:9} {url}")
        for label, rows in (("failed", report.failed), ("refused", report.refused)):
            for url, detail in rows:
                self.stdout.write(f"{label:9} {url}  ({detail})")
        self.stdout.write(
            f"{report.pages} page(s) in {report.requests} request(s): "
            f"{len(report.unchanged)} unchanged, {len(report.changed)} changed, "
            f"{len(report.gone)} gone, {len(report.failed)} failed, {len(report.refused)} refused."
        )
        if report.guides_flagged:
            self.stdout.write("Guides to re-check: " + ", ".join(report.guides_flagged))
        if dry_run:
            self.stdout.write("Dry run: nothing was stored.")
