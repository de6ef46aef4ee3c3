"""Search quality on an evaluation set: hit@1, hit@3 and MRR through `manage.py search_guides`.

    DATABASE_URL=... DJANGO_DEBUG=1 .venv/bin/python bench/search_eval.py [FILE.tsv] [--lang en]

FILE (default ../shared/search-eval/dev.tsv) holds one query a line, tab-separated: the query,
the carrier slugs that count (| between them; a country slug counts the country-wide guide), the
task slugs that count. A query is answered at rank r when the r-th result has both a carrier (or,
for a guide of a whole country, its country) and a task from those sets; MRR uses the first
answered rank within the first 10 results (0 when none). The database must hold the demo
catalogue (`manage.py load_demo`). Exit status 1 when hit@1 is below --min-hit1 or hit@3 below --min-hit3.
"""

import argparse
import csv
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT.parent / "shared" / "search-eval" / "dev.tsv"


def load_set(path: Path) -> list[tuple[str, set[str], set[str]]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not row or row[0] == "query" or row[0].startswith("#"):
                continue
            if len(row) < 3:
                raise SystemExit(f"{path}: a line needs three tab-separated fields: {row!r}")
            rows.append((row[0], set(row[1].split("|")), set(row[2].split("|"))))
    return rows


def run_query(query: str, lang: str, limit: int) -> list[dict]:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "search_guides", query, "--json", "--lang", lang, "--limit", str(limit), stdout=out
    )
    return json.loads(out.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--lang", default="zh-hans")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--min-hit1", type=float, default=0.0)
    parser.add_argument("--min-hit3", type=float, default=0.0)
    parser.add_argument("--json", action="store_true", help="print the per-query results as JSON")
    parser.add_argument("--save", type=Path, help="write the per-query results to this JSON file")
    parser.add_argument(
        "--compare",
        type=Path,
        help="a file written by --save (e.g. on the other database): report queries whose "
        "first three results differ",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    rows = load_set(args.file)
    if not rows:
        raise SystemExit(f"{args.file}: no query")
    run_query(rows[0][0], args.lang, args.limit)  # warm the caches once

    report = []
    for query, carriers, tasks in rows:
        started = time.perf_counter()
        results = run_query(query, args.lang, args.limit)
        elapsed = (time.perf_counter() - started) * 1000
        rank = next(
            (
                i
                for i, r in enumerate(results, 1)
                if ((r["carrier"] or r["country"]) in carriers) and (r["task"] in tasks)
            ),
            None,
        )
        report.append(
            {
                "query": query,
                "rank": rank,
                "ms": round(elapsed, 2),
                "top3": [
                    f"{r['carrier'] or r['country']}/{r['task']}/{r['language']}"
                    for r in results[:3]
                ],
            }
        )

    n = len(report)
    hit1 = sum(1 for r in report if r["rank"] == 1) / n
    hit3 = sum(1 for r in report if r["rank"] and r["rank"] <= 3) / n
    mrr = sum(1 / r["rank"] for r in report if r["rank"]) / n
    times = sorted(r["ms"] for r in report)
    p95 = times[min(n - 1, int(round(0.95 * n)) - 1)]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.save:
        args.save.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.compare:
        other = {row["query"]: row["top3"] for row in json.loads(args.compare.read_text("utf-8"))}
        differ = [r for r in report if other.get(r["query"]) != r["top3"]]
        for r in differ:
            print(f"DIFFERS  {r['query']!r}: {r['top3']} here, {other.get(r['query'])} there")
        print(f"same first three results as {args.compare.name}: {n - len(differ)}/{n} queries")
    for r in report:
        if r["rank"] != 1:
            label = "MISS " if not r["rank"] or r["rank"] > 3 else "NOT1 "
            print(f"{label} rank={r['rank']}  {r['query']!r} -> {r['top3']}")
    print(
        f"backend={connection.vendor} set={args.file.name} queries={n} lang={args.lang} "
        f"hit@1={hit1:.3f} hit@3={hit3:.3f} MRR={mrr:.3f} "
        f"median={statistics.median(times):.1f}ms p95={p95:.1f}ms (through the command)"
    )
    return 1 if hit3 < args.min_hit3 or hit1 < args.min_hit1 else 0


if __name__ == "__main__":
    sys.exit(main())
