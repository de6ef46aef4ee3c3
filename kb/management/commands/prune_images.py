from django.core.management.base import BaseCommand

from kb.services.images import images_prune


class Command(BaseCommand):
    help = (
        "List picture files that no guide, pending change or revision refers to. With --delete, "
        "delete them (files and rows). Without it nothing changes: run it once to see the list."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Delete the orphans listed (default: report only).",
        )

    def handle(self, *args, delete=False, **options):
        orphans = images_prune(delete=delete)
        for asset in orphans:
            size = sum(sum(r.get("bytes", [])) for r in asset.renditions)
            self.stdout.write(
                f"{asset.key[:16]} {asset.width}x{asset.height} {len(asset.file_names())} files "
                f"{size} bytes uploaded {asset.created_at:%Y-%m-%d}"
            )
        verb = "Deleted" if delete else "Found"
        hint = "" if delete or not orphans else " (run with --delete to delete them)"
        self.stdout.write(f"{verb} {len(orphans)} orphaned picture(s){hint}.")
