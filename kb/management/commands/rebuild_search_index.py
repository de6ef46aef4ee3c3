from django.core.management.base import BaseCommand

from kb.search import index


class Command(BaseCommand):
    help = "Rebuild the search index from scratch: one row per published guide, in one transaction."

    def handle(self, *args, **options):
        report = index.rebuild()
        self.stdout.write(
            f"Indexed {report.documents} published guide(s) in {report.seconds:.1f} s."
        )
