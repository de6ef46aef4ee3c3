import json as jsonlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from kb.models import Guide
from kb.search.query import search
from kb.traditional import is_traditional, to_traditional

LANGUAGES = [code for code, _ in settings.LANGUAGES]


class Command(BaseCommand):
    help = (
        "Search the published guides as a reader would. With --json, print a JSON array of "
        '{"carrier", "country", "task", "language", "title", "url", "score"}, best first.'
    )

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="+", help="What the reader typed.")
        parser.add_argument(
            "--lang",
            default=settings.LANGUAGE_CODE,
            help=f"The reader's language: {' or '.join(LANGUAGES)} (default {settings.LANGUAGE_CODE}).",
        )
        parser.add_argument("--limit", type=int, default=10, help="How many results (default 10).")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, query, lang, limit, **options):
        text = " ".join(query)
        if not text.strip():
            raise CommandError("the query is empty")
        if lang not in LANGUAGES:
            raise CommandError(f"--lang must be one of: {', '.join(LANGUAGES)}")
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        with translation.override(lang):
            result = search(text, language=lang, limit=limit)
            guides = Guide.objects.published().select_related("carrier", "country", "task")
            by_id = guides.in_bulk([hit.guide_id for hit in result.hits])
            rows = [
                {
                    "carrier": guide.carrier.slug if guide.carrier_id else None,
                    "country": guide.country.slug,
                    "task": guide.task.slug,
                    "language": guide.language,
                    "title": to_traditional(guide.title) if is_traditional(lang) else guide.title,
                    "url": guide.get_absolute_url(),
                    "score": round(hit.score, 3),
                }
                for hit in result.hits
                if (guide := by_id.get(hit.guide_id)) is not None
            ]
        if options["json"]:
            self._print_json(rows)
            return
        if result.suggestion:
            self.stdout.write(f"did you mean: {result.suggestion}")
        if not rows:
            self.stdout.write("no result")
        for rank, row in enumerate(rows, 1):
            self.stdout.write(
                f"{rank:>2}. {row['score']:8.2f}  {row['title']}  "
                f"[{row['carrier'] or row['country']} · {row['task']} · {row['language']}]  {row['url']}"
            )

    def _print_json(self, rows):
        self.stdout.write(jsonlib.dumps(rows, ensure_ascii=False))
