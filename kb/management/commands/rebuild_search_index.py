from django.core.management.base import BaseCommand

from kb import background, tasks
from kb.search import index


class Command(BaseCommand):
    help = "Rebuild the search index from scratch: one row per published guide, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument(
            "--background",
            action="store_true",
            help="Enqueue the rebuild for the task worker and return at once.",
        )

    def handle(self, *args, background=False, **options):
        if background:
            record = _enqueue()
            self.stdout.write(f"Search index rebuild enqueued as task #{record.pk}.")
            return
        report = index.rebuild()
        self.stdout.write(
            f"Indexed {report.documents} published guide(s) in {report.seconds:.1f} s."
        )


def _enqueue():
    return background.enqueue(tasks.search_index_rebuild)
