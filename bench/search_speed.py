"""Search speed on a large catalogue: synthetic published guides, index build time, size, p95.

    DATABASE_URL=sqlite:////tmp/searchbench.sqlite3 DJANGO_DEBUG=1 \
        .venv/bin/python bench/search_speed.py [--guides 100000] [--reuse]

Use a database of its own: the script migrates it, loads the demo catalogue (its vocabulary:
tasks, synonyms, guide text), then adds synthetic carriers (12 published guides each: 6 tasks
x 2 languages) whose guides are made of the demo guides' sentences with the carrier's name put
in. It rebuilds the index with the same code as `manage.py rebuild_search_index`, reports the
build time and the size of the database and of the index, then times `kb.search.query.search`
(what the results page calls) on a fixed mix of queries: the dev set, synthetic carriers named
exactly, with a typo or by a Chinese name, and queries that name no carrier.
With --reuse an existing synthetic catalogue is kept and only the queries are timed.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "search-eval" / "dev.tsv"
SYLLABLES = "ka lo mi te ra vo zu ni pe sa do fi ge ha ju ko le ma no pi qu re si tu va wi xe yo ze ba".split()
ZH_SYLLABLES = "卡 洛 米 特 拉 沃 祖 尼 佩 萨 多 菲 格 哈 朱 科 勒 马 诺 皮 库 雷 西 图 瓦 维 谢 约 泽 巴".split()
TEXT_QUERIES = [
    "收不到验证码",
    "漫游 短信 验证码",
    "esim 二维码 扫描",
    "护照 扫描件",
    "余额 退款",
    "意大利 注销",
    "英国 保号",
    "美国 暂停服务",
    "how to keep my number",
    "cancel line abroad",
    "国际漫游 收费",
    "换手机 eSIM",
    "注销",
    "esim",
    "top up online",
    "自动续费 信用卡",
    "携号转网",
    "客服电话 海外",
    "账户 密码 重置",
    "月费 太贵",
]


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def names(count: int, rng: random.Random):
    seen = set()
    while len(seen) < count:
        parts = rng.sample(range(len(SYLLABLES)), 3)
        name = "".join(SYLLABLES[i] for i in parts).capitalize()
        if name not in seen:
            seen.add(name)
            yield name, "".join(ZH_SYLLABLES[i] for i in parts)


def generate(total: int, rng: random.Random) -> None:
    from django.db import transaction
    from django.utils import timezone

    from kb.models import Carrier, Country, Guide, Problem, Step, Task

    demo = list(
        Guide.objects.published().select_related("carrier").prefetch_related("steps", "problems")
    )
    if not demo:
        raise SystemExit("The demo catalogue has no published guide: run manage.py load_demo")
    by_task: dict[tuple[int, str], list[Guide]] = {}
    for guide in demo:
        by_task.setdefault((guide.task_id, guide.language), []).append(guide)
    tasks = list(Task.objects.all())
    countries = list(Country.objects.all())
    languages = ["zh-hans", "en"]
    per_carrier = len(tasks) * len(languages)
    carriers_needed = -(-total // per_carrier) + 1
    now = timezone.now()

    def pick(task, language):
        return by_task.get((task.pk, language)) or by_task.get((task.pk, "zh-hans")) or demo

    made = 0
    started = time.perf_counter()
    name_source = names(carriers_needed, rng)
    batch_carriers = 200
    while made < total:
        with transaction.atomic():
            carriers = []
            for name, name_zh in itertools.islice(name_source, batch_carriers):
                carriers.append(
                    Carrier(
                        slug=f"syn-{name.lower()}",
                        name=f"{name} Mobile",
                        name_zh=f"{name_zh}电信",
                        country=rng.choice(countries),
                        aliases=f"{name}\n{name}Mobile\n{name_zh}",
                    )
                )
            carriers = Carrier.objects.bulk_create(carriers)
            guides, contents = [], []
            for carrier in carriers:
                for task in tasks:
                    for language in languages:
                        if made >= total:
                            break
                        source = rng.choice(pick(task, language))
                        old = source.carrier.name if source.carrier else ""

                        def swap(text, old=old, carrier=carrier):
                            return text.replace(old, carrier.name) if old else text

                        guides.append(
                            Guide(
                                carrier=carrier,
                                country_id=carrier.country_id,
                                task=task,
                                language=language,
                                title=swap(source.title),
                                slug=f"{carrier.slug}-{task.slug}",
                                summary=swap(source.summary),
                                tips=swap(source.tips),
                                status=Guide.Status.PUBLISHED,
                                published_at=now,
                                content_updated_at=now,
                            )
                        )
                        steps = list(source.steps.all())
                        problems = list(source.problems.all())
                        contents.append(
                            (
                                [
                                    swap(f"{s.title}\n{s.body}")
                                    for s in rng.sample(steps, min(4, len(steps)))
                                ],
                                [
                                    swap(p.solution)
                                    for p in rng.sample(problems, min(1, len(problems)))
                                ],
                                [p.symptom for p in problems[:1]],
                            )
                        )
                        made += 1
            guides = Guide.objects.bulk_create(guides)
            step_rows, problem_rows = [], []
            for guide, (steps, solutions, symptoms) in zip(guides, contents, strict=True):
                for position, text in enumerate(steps, 1):
                    title, _, body = text.partition("\n")
                    step_rows.append(
                        Step(guide=guide, position=position, title=title[:200], body=body)
                    )
                for position, (symptom, solution) in enumerate(
                    zip(symptoms, solutions, strict=False), 1
                ):
                    problem_rows.append(
                        Problem(guide=guide, position=position, symptom=symptom, solution=solution)
                    )
            Step.objects.bulk_create(step_rows)
            Problem.objects.bulk_create(problem_rows)
        print(f"  generated {made} guides ({time.perf_counter() - started:.0f} s)", flush=True)


def query_mix(rng: random.Random) -> list[str]:
    from kb.models import Carrier, Task

    queries = []
    if DEV_SET.exists():
        for line in DEV_SET.read_text(encoding="utf-8").splitlines()[1:]:
            if line.strip():
                queries.append(line.split("\t")[0])
    synthetic = list(Carrier.objects.filter(slug__startswith="syn-").order_by("?")[:60])
    tasks = list(Task.objects.all())
    for i, carrier in enumerate(synthetic):
        task = rng.choice(tasks)
        synonym = rng.choice(task.synonym_list or [task.name_zh])
        base = carrier.alias_list[0]
        if i % 3 == 0:
            queries.append(f"{carrier.name} {synonym}")
        elif i % 3 == 1:
            typo = base[:2] + base[3:] if len(base) > 5 else base + "x"
            queries.append(f"{typo} {synonym}")
        else:
            queries.append(f"{carrier.alias_list[-1]}怎么{task.name_zh}")
    return queries + TEXT_QUERIES


def measure(queries: list[str], rounds: int) -> dict:
    from kb.search.query import search

    for query in queries:
        search(query, language="zh-hans")
    times = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            search(query, language="zh-hans")
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "queries": len(times),
        "median": statistics.median(times),
        "p95": times[int(0.95 * len(times)) - 1],
        "p99": times[int(0.99 * len(times)) - 1],
        "max": times[-1],
    }


def database_size() -> int | None:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(connection.settings_dict["NAME"])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guides", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep an existing synthetic catalogue")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rebuild", action="store_true", help="with --reuse: rebuild the index all the same"
    )
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from kb.models import Carrier, Guide
    from kb.search import index
    from kb.search.backends import get_backend

    rng = random.Random(args.seed)
    call_command("migrate", verbosity=0)
    if not Carrier.objects.exists():
        call_command("load_demo", "--no-accounts", verbosity=0, stdout=open(os.devnull, "w"))
    existing = Guide.objects.published().count()
    print(f"backend={connection.vendor} published guides before: {existing}")
    reuse = args.reuse and existing >= args.guides
    if not reuse:
        synthetic = Guide.objects.filter(carrier__slug__startswith="syn-").count()
        if synthetic:
            raise SystemExit(
                "This database already holds synthetic guides: use --reuse or a fresh one."
            )
        started = time.perf_counter()
        generate(args.guides - existing, rng)
        print(f"generation: {time.perf_counter() - started:.0f} s")
    if not reuse or args.rebuild:
        report = index.rebuild(
            progress=lambda n: n % 20000 == 0 and print(f"  indexed {n}", flush=True)
        )
        print(f"index build: {report.documents} guides in {report.seconds:.1f} s")
    backend = get_backend()
    size, index_size = database_size(), backend.size_bytes()
    print(
        f"database size: {size / 1e6:.0f} MB; search index (rows and structures): "
        + (f"{index_size / 1e6:.0f} MB" if index_size else "n/a")
    )
    queries = query_mix(random.Random(args.seed))
    figures = measure(queries, args.rounds)
    print(
        f"backend={connection.vendor} guides={Guide.objects.published().count()} "
        f"timed searches={figures['queries']} ({len(queries)} queries x {args.rounds}): "
        f"median={figures['median']:.1f} ms p95={figures['p95']:.1f} ms "
        f"p99={figures['p99']:.1f} ms max={figures['max']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
