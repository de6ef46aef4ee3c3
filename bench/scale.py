#!/usr/bin/env python3
"""The public site at 100,000 guides (16,662 carriers) under gunicorn, measured with wrk.

    .venv/bin/python bench/scale.py                        # SQLite + database cache
    .venv/bin/python bench/scale.py --database postgres://postgres@127.0.0.1:5432/i18 \\
        --redis-url redis://127.0.0.1:6379/8               # PostgreSQL + Redis

Builds the catalogue once (bench/scale_build.py: bulk_create in one transaction, then the search
index) and keeps it: the SQLite file under var/bench/, or the PostgreSQL database named. Then:
migrate, collectstatic, 20,000 random guide URLs written to a file, those pages and the
listings rendered into the shared page cache (as publishing and load_demo do), gunicorn with 2
workers and production settings on 127.0.0.1:8801 (this helper's port range), and wrk
(``apt-get install -y wrk``): random guides from the file and the site's stylesheet in
alternating rounds, one cached guide and the stylesheet, search with 8 clients, throughput of a
400-page hot set before and in the 10 s after one publish, search p95 in the minute after it,
the sitemap index and a sitemap file, the home and task page sizes, worker memory after a
minute of random-URL load and the time from gunicorn start to the first 200.
Figures: bench/results/scale-<database>-<time>.json and printed; bench/SCALE.md reports them.
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
PORT = 8801
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"
SEARCHES = [
    "T-Mobile 暂停",
    "giffgaff 保号",
    "收不到验证码",
    "esim 二维码",
    "cancel line abroad",
    "Kalomi 注销",
    "Tmobil pause",
    "英国 保号",
]

LUA_PATHS = """
local paths = {}
for line in io.lines(os.getenv("KB_PATHS")) do paths[#paths + 1] = line end
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("id", threads) end
init = function(args) math.randomseed(os.time() * 100 + (id or 0)) end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(summary, latency, requests)
  io.write(string.format("P95_MS %.2f\\n", latency:percentile(95) / 1000))
  io.write(string.format("P99_MS %.2f\\n", latency:percentile(99) / 1000))
end
"""


def run(args, env, timeout=7200, quiet=False):
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        sys.exit(
            f"failed: {' '.join(map(str, args))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers={"User-Agent": UA, **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return response.status, dict(response.headers), response.read()


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def wrk(url, *, seconds, connections=16, threads=2, paths=None):
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    args += ["-H", "Accept-Encoding: gzip", "-H", f"User-Agent: {UA}"]
    env = dict(os.environ)
    if paths is not None:
        script = VAR / "paths.lua"
        script.write_text(LUA_PATHS)
        args += ["-s", str(script)]
        env["KB_PATHS"] = str(paths)
    out = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True, env=env
    ).stdout
    bad = WRK_BAD.search(out)
    figures = {
        "rps": float(WRK_RPS.search(out).group(1)),
        "errors": int(bad.group(1)) if bad else 0,
    }
    for name in ("P95_MS", "P99_MS"):
        found = re.search(name + r" ([\d.]+)", out)
        if found:
            figures[name.lower()] = float(found.group(1))
    return figures


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workers_of(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def sitemap_files(base: str) -> list[str]:
    _s, headers, body = fetch(base + "/sitemap.xml", {"Accept-Encoding": "gzip"})
    index = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
    return [f.decode() for f in re.findall(rb"<loc>([^<]+)</loc>", index)]


def sitemap_file(base: str) -> dict:
    """The first sitemap file: time to fetch it, its size gzipped, its number of addresses."""
    first = sitemap_files(base)[0]
    t0 = time.monotonic()
    _s, headers, body = fetch(first, {"Accept-Encoding": "gzip"})
    return {
        "seconds": round(time.monotonic() - t0, 2),
        "gzip_bytes": len(body),
        "urls": gzip.decompress(body).count(b"<url>"),
        "encoding": headers.get("Content-Encoding"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=None, help="DATABASE_URL (default: SQLite)")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--urls", type=int, default=20_000)
    parser.add_argument(
        "--reuse-cache",
        action="store_true",
        help="skip rendering the sample into the shared cache: an earlier run of the same code did",
    )
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build the catalogue (once) and stop: lets the two databases build side by side",
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    VAR.mkdir(parents=True, exist_ok=True)
    database = options.database or f"sqlite:///{VAR / 'build-sqlite.sqlite3'}"
    label = "postgres" if database.startswith("postgres") else "sqlite"
    tag = hashlib.sha1(database.encode()).hexdigest()[:8]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database,
        "DJANGO_STATIC_ROOT": str(VAR / "static"),
        "KB_VAR_DIR": str(VAR),
        "KB_SITE_URL": f"http://127.0.0.1:{PORT}",
        "KB_TASKS_BACKEND": "immediate",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_WORKERS": "2",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
    result = {
        "database": label,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
    }

    marker = VAR / f"built-{label}-{tag}"
    if not marker.exists():
        print("building the catalogue (once) ...", flush=True)
        started = time.monotonic()
        print(run([PYTHON, "bench/scale_build.py"], {**env, "DJANGO_DEBUG": "1"}), flush=True)
        marker.write_text(f"{time.monotonic() - started:.0f}\n")
    result["build_seconds"] = float(marker.read_text().split()[0] or 0)
    if options.build_only:
        print(f"catalogue built in {result['build_seconds']:.0f} s", flush=True)
        return 0
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)

    urls_file = VAR / f"guides-{label}-{tag}.txt"
    if not urls_file.exists():
        out = run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "from kb.models import Guide\n"
                "for g in Guide.objects.published().only('slug','language').iterator():\n"
                "    print(g.get_absolute_url())",
            ],
            env,
        )
        paths = [line for line in out.splitlines() if line.startswith("/")]
        urls_file.write_text(
            "\n".join(random.Random(18).sample(paths, min(options.urls, len(paths)))) + "\n"
        )
    hot_file = VAR / f"hot-{label}.txt"
    hot_file.write_text("\n".join(urls_file.read_text().split()[:400]) + "\n")

    if options.reuse_cache:
        result["prerender"] = "reused from an earlier run of the same code"
    else:
        print("rendering the sample and the listings into the shared cache ...", flush=True)
        started = time.monotonic()
        render = (
            "import sys\nfrom kb.services import prerender\n"
            "paths = open(sys.argv[1]).read().split()\n"
            "k, n = int(sys.argv[2]), int(sys.argv[3])\n"
            "mine = paths[k::n]\n"
            "mine += prerender.listing_paths() + prerender.sitemap_paths() if k == 0 else []\n"
            "print(prerender.pages_prerender(paths=mine))\n"
        )
        script = VAR / "render.py"
        script.write_text(
            "import os, sys\nsys.path.insert(0, os.getcwd())\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
            "import django\ndjango.setup()\n" + render
        )
        renderers = [
            subprocess.Popen(
                [PYTHON, str(script), str(urls_file), str(k), "2"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for k in range(2)
        ]
        result["prerender"] = [r.communicate(timeout=7200)[0].strip() for r in renderers]
        result["prerender_seconds"] = round(time.monotonic() - started, 1)
        print(result["prerender"], result["prerender_seconds"], "s", flush=True)

    base = f"http://127.0.0.1:{PORT}"
    log = open(VAR / f"gunicorn-{label}.log", "w")  # noqa: SIM115 - closed with the server
    started = time.monotonic()
    server = subprocess.Popen(
        [GUNICORN, "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        first = urls_file.read_text().split()[0]
        while True:
            try:
                if fetch(base + first)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
            if time.monotonic() - started > 120:
                sys.exit("gunicorn did not answer in 120 s")
        result["start_to_first_200_s"] = round(time.monotonic() - started, 2)
        _s, _h, html = fetch(base + first)
        sheet = re.findall(r'<link rel="stylesheet" href="([^"]+site[^"]*\.css)"', html.decode())[0]
        wrk(base + sheet, seconds=2)
        wrk(base + "/", seconds=2, paths=urls_file)

        rounds = {"random_guide": [], "one_guide": [], "stylesheet": []}
        for number in range(options.rounds):
            for name, kwargs in (
                ("random_guide", {"paths": urls_file}),
                ("stylesheet", {}),
                ("one_guide", {}),
                ("stylesheet", {}),
            ):
                url = base + (
                    sheet if name == "stylesheet" else ("/" if name == "random_guide" else first)
                )
                figures = wrk(url, seconds=options.seconds, **kwargs)
                rounds[name].append(figures["rps"])
                print(f"round {number + 1}: {name:<13} {figures['rps']:8.0f} req/s", flush=True)
        median = {name: statistics.median(values) for name, values in rounds.items()}
        result["rps"] = rounds
        result["median_rps"] = median
        result["random_guide_over_stylesheet"] = median["random_guide"] / median["stylesheet"]
        result["one_guide_over_stylesheet"] = median["one_guide"] / median["stylesheet"]

        search_file = VAR / "searches.txt"
        search_file.write_text(
            "\n".join(f"/zh-hans/search/?q={urllib.parse.quote(q)}" for q in SEARCHES) + "\n"
        )
        result["search_before"] = wrk(
            base + "/", seconds=options.seconds, connections=8, paths=search_file
        )
        result["hot_before"] = wrk(base + "/", seconds=options.seconds, paths=hot_file)
        result["sitemap_first_file_prerendered"] = sitemap_file(base)

        # One publish: the guide changes, its pages are dropped and rendered again (hooks).
        publish = (
            "from django.db import transaction\nfrom django.utils import timezone\n"
            "from kb.models import Guide\nfrom kb.services import hooks\n"
            f"g = Guide.objects.published().get(slug='{first.rstrip('/').rsplit('/', 1)[-1]}', "
            f"language='{first.split('/')[1]}')\n"
            "with transaction.atomic():\n"
            "    Guide.objects.filter(pk=g.pk).update(summary=g.summary + ' ', content_updated_at=timezone.now())\n"
            "    hooks.guide_visibility_changed(g)\n"
        )
        run([PYTHON, "manage.py", "shell", "-c", publish], env)
        result["hot_after_publish"] = wrk(base + "/", seconds=10, paths=hot_file)
        result["hot_after_over_before"] = (
            result["hot_after_publish"]["rps"] / result["hot_before"]["rps"]
            if result["hot_before"]["rps"]
            else None
        )
        run([PYTHON, "manage.py", "shell", "-c", publish], env)
        result["search_after_publish"] = wrk(
            base + "/", seconds=60, connections=8, paths=search_file
        )

        # After the publishes: the sitemap files list every guide's last change, so each
        # publish dropped them and rendered them again (kb.tasks.sitemaps_render).
        result["sitemap_files"] = sitemap_files(base)
        result["sitemap_first_file"] = sitemap_file(base)
        out = run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "from kb.services import prerender\n"
                "print(prerender.pages_prerender(paths=prerender.sitemap_paths()[1:2]))",
            ],
            env,
        )
        result["sitemap_first_file_render_seconds"] = float(
            re.search(r"'seconds': ([0-9.]+)", out).group(1)
        )
        for name, path in (
            ("home", "/zh-hans/"),
            ("task", "/zh-hans/tasks/pause/"),
            ("country", "/zh-hans/countries/us/"),
        ):
            result[f"{name}_html_bytes"] = len(fetch(base + path)[2])

        wrk(base + "/", seconds=60, paths=urls_file)
        result["worker_rss_mb_after_a_minute"] = [
            round(rss_mb(p), 1) for p in workers_of(server.pid)
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    result["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scale-{label}-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    import urllib.parse  # noqa: F401 - used in main

    sys.exit(main())
