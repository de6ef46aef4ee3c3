"""Builds the 100,000-guide catalogue for bench/scale.py (run by it in a subprocess, with
DATABASE_URL set): migrate, the demo catalogue, then synthetic carriers (16,662 in all) with
three tasks each in both languages (the English guide a translation of the Chinese one), made of
the demo guides' steps and problems with the carrier's name put in; then the search index.

Everything is written with bulk_create in one transaction; the steps' HTML is the demo steps'
HTML (rendered and sanitized once) with the name replaced, since the names are plain letters.
"""

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDES = 100_000
CARRIERS = 16_662
SYLLABLES = "ka lo mi te ra vo zu ni pe sa do fi ge ha ju ko le ma no pi qu re si tu va wi xe yo ze ba".split()
ZH_SYLLABLES = "卡 洛 米 特 拉 沃 祖 尼 佩 萨 多 菲 格 哈 朱 科 勒 马 诺 皮 库 雷 西 图 瓦 维 谢 约 泽 巴".split()
STEP_FIELDS = ("title", "body", "body_html", "tip", "tip_html", "warning", "warning_html")
PROBLEM_FIELDS = ("symptom", "cause", "cause_html", "solution", "solution_html")


def names(count: int, rng: random.Random):
    seen = set()
    while len(seen) < count:
        parts = rng.sample(range(len(SYLLABLES)), 3)
        name = "".join(SYLLABLES[i] for i in parts).capitalize()
        if name not in seen:
            seen.add(name)
            yield name, "".join(ZH_SYLLABLES[i] for i in parts)


def build(guides: int = GUIDES, carriers: int = CARRIERS, seed: int = 7) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from kb.models import Carrier, Country, Guide, Problem, Source, Step, Task
    from kb.search import index

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Carrier.objects.exists():
        call_command("load_demo", "--no-accounts", verbosity=0, stdout=open(os.devnull, "w"))
    if Carrier.objects.filter(slug__startswith="syn-").exists():
        # Built before (the catalogue commits first): only the search index may be missing.
        from kb.models import SearchDocument

        if SearchDocument.objects.count() < Guide.objects.published().count():
            report = index.rebuild()
            print(f"search index: {report.documents} guides in {report.seconds:.0f} s")
        return
    rng = random.Random(seed)
    demo = list(
        Guide.objects.published()
        .select_related("carrier")
        .prefetch_related("steps", "problems", "sources")
    )
    by_task: dict[tuple[int, str], list[Guide]] = {}
    for guide in demo:
        by_task.setdefault((guide.task_id, guide.language), []).append(guide)
    tasks = list(Task.objects.order_by("position", "pk"))
    countries = list(Country.objects.order_by("pk"))
    wanted = guides - len(demo)
    synthetic = carriers - Carrier.objects.count()
    now = timezone.now()

    def source_for(task, language):
        return rng.choice(
            by_task.get((task.pk, language)) or by_task.get((task.pk, "zh-hans")) or demo
        )

    with transaction.atomic():
        made = []
        for number, (name, name_zh) in enumerate(names(synthetic, rng)):
            made.append(
                Carrier(
                    slug=f"syn-{name.lower()}",
                    name=f"{name} Mobile",
                    name_zh=f"{name_zh}电信",
                    country=countries[number % len(countries)],
                    aliases=f"{name}\n{name}Mobile\n{name_zh}",
                )
            )
        made = Carrier.objects.bulk_create(made, batch_size=2000)
        per_carrier = -(-wanted // len(made))  # tasks x languages
        plan = []  # (carrier, task, language)
        for number, carrier in enumerate(made):
            for k in range((per_carrier + 1) // 2):
                task = tasks[(number + k) % len(tasks)]
                for language in ("zh-hans", "en"):
                    if len(plan) < wanted:
                        plan.append((carrier, task, language))
        rows, sources = [], []
        for carrier, task, language in plan:
            source = source_for(task, language)
            old = source.carrier.name if source.carrier else ""

            def swap(text, old=old, carrier=carrier):
                return text.replace(old, carrier.name) if old and text else text

            rows.append(
                Guide(
                    carrier=carrier,
                    country_id=carrier.country_id,
                    task=task,
                    language=language,
                    title=swap(source.title),
                    slug=f"{carrier.slug}-{task.slug}",
                    summary=swap(source.summary),
                    prerequisites=swap(source.prerequisites),
                    prerequisites_html=swap(source.prerequisites_html),
                    risk_notes=swap(source.risk_notes),
                    risk_notes_html=swap(source.risk_notes_html),
                    tips=swap(source.tips),
                    tips_html=swap(source.tips_html),
                    time_needed=source.time_needed,
                    irreversible=source.irreversible,
                    status=Guide.Status.PUBLISHED,
                    published_at=now,
                    content_updated_at=now,
                )
            )
            sources.append((source, swap))
        zh = [i for i, (_c, _t, lang) in enumerate(plan) if lang == "zh-hans"]
        en = [i for i, (_c, _t, lang) in enumerate(plan) if lang == "en"]
        Guide.objects.bulk_create([rows[i] for i in zh], batch_size=2000)
        for i in en:
            if i > 0 and plan[i - 1][:2] == plan[i][:2]:
                rows[i].translation_of_id = rows[i - 1].pk
        Guide.objects.bulk_create([rows[i] for i in en], batch_size=2000)
        steps, problems, links = [], [], []
        for guide, (source, swap) in zip(rows, sources, strict=True):
            for step in source.steps.all():
                steps.append(
                    Step(
                        guide_id=guide.pk,
                        position=step.position,
                        **{f: swap(getattr(step, f)) for f in STEP_FIELDS},
                    )
                )
            for problem in source.problems.all():
                problems.append(
                    Problem(
                        guide_id=guide.pk,
                        position=problem.position,
                        **{f: swap(getattr(problem, f)) for f in PROBLEM_FIELDS},
                    )
                )
            for link in source.sources.all():
                links.append(
                    Source(
                        guide_id=guide.pk,
                        position=link.position,
                        url=link.url,
                        title=link.title,
                        accessed_on=link.accessed_on,
                    )
                )
        Step.objects.bulk_create(steps, batch_size=5000)
        Problem.objects.bulk_create(problems, batch_size=5000)
        Source.objects.bulk_create(links, batch_size=5000)
    print(
        f"catalogue: {Carrier.objects.count()} carriers, {Guide.objects.published().count()} "
        f"published guides, {len(steps)} steps ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    report = index.rebuild()
    print(f"search index: {report.documents} guides in {report.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    build(*(int(a) for a in sys.argv[1:3]))
