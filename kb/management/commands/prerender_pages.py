"""Render public pages into the shared page cache: every guide page, every listing and the
sitemap files (after a deploy, a cache flush or a bulk load), or the paths given."""

from django.core.management.base import BaseCommand, CommandError

from kb.models import Carrier, Guide
from kb.services import prerender


class Command(BaseCommand):
    help = "Render public pages into the shared page cache (all of them, or PATH...)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="paths such as /zh-hans/guides/x/")
        parser.add_argument(
            "--shard",
            default="1/1",
            help="K/N: only every N-th guide and carrier, from the K-th (to run N in parallel)",
        )
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, paths, shard, batch, **options):
        try:
            k, n = (int(part) for part in shard.split("/"))
            assert 1 <= k <= n
        except (ValueError, AssertionError):
            raise CommandError(f"--shard must look like 1/2, not {shard!r}") from None
        if paths:
            self._report(prerender.pages_prerender(paths=paths))
            return
        if k == 1:
            self._report(prerender.pages_prerender(paths=prerender.listing_paths()))
            self._report(prerender.pages_prerender(paths=prerender.sitemap_paths()))
        carriers = Carrier.objects.order_by("pk").only("slug")
        for start in range(0, carriers.count(), batch):
            chunk = [
                c for i, c in enumerate(carriers[start : start + batch], start) if i % n == k - 1
            ]
            self._report(
                prerender.pages_prerender(
                    paths=[
                        p
                        for c in chunk
                        for p in prerender._in_every_language("kb:carrier", slug=c.slug)
                    ]
                )
            )
        guides = Guide.objects.published().order_by("pk").only("slug", "language")
        done = 0
        for start in range(0, guides.count(), batch):
            chunk = [
                g for i, g in enumerate(guides[start : start + batch], start) if i % n == k - 1
            ]
            self._report(prerender.pages_prerender(paths=prerender.guide_pages(chunk)))
            done += len(chunk)
            self.stderr.write(f"guides: {done}")

    def _report(self, report):
        if report["skipped"]:
            self.stderr.write(f"{report['skipped']} pages not rendered")
        self.stdout.write(f"rendered {report['rendered']} pages in {report['seconds']} s")
