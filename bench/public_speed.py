#!/usr/bin/env python3
"""How fast the public site serves a guide page, compared with the stylesheet it links.

Builds a throw-away SQLite database with the demo content, collects the static files into a
temporary directory, starts gunicorn with production settings on 127.0.0.1 only, and measures
with wrk (Debian package `wrk`): the guide page, then each stylesheet the page links, in
alternating rounds, on the same server in the same run. Also reports what a first visit to the
guide transfers (HTML + CSS + JS, compressed as a browser receives them).

    .venv/bin/python bench/public_speed.py                 # 3 rounds of 10 s per URL
    .venv/bin/python bench/public_speed.py --seconds 5 --rounds 2 --workers 3

The target (issue "The public site"): guide page rps >= 0.5 x stylesheet rps.
Every step has a time limit; only loopback traffic. Results: bench/results/public-*.json.
"""

import argparse
import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
RESULTS = ROOT / "bench" / "results"
BROWSER_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, env, timeout=300):
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def fetch(url, *, headers=None, timeout=10):
    request = urllib.request.Request(url, headers={"User-Agent": BROWSER_UA, **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
        return response.status, dict(response.headers), response.read()


def wait_until_up(url, deadline):
    while time.monotonic() < deadline:
        try:
            if fetch(url, timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {url} in time")


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_LATENCY = re.compile(r"Latency\s+([\d.]+\w+)")


def wrk(url, *, seconds, connections, threads):
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-H",
        "Accept-Encoding: gzip",
        "-H",
        f"User-Agent: {BROWSER_UA}",
        url,
    ]
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    bad = WRK_NON_2XX.search(out)
    if bad and int(bad.group(1)):
        sys.exit(f"wrk saw {bad.group(1)} error responses from {url}:\n{out}")
    return float(WRK_RPS.search(out).group(1)), WRK_LATENCY.search(out).group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: config)"
    )
    parser.add_argument(
        "--guide", default=None, help="guide path (default: the longest demo guide)"
    )
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        help="another path to measure for comparison (e.g. /robots.txt, a page without a view)",
    )
    parser.add_argument(
        "--redis-url", default=None, help="use Redis as the cache (default: the database cache)"
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "KB_VAR_DIR": str(work),
    }
    env.pop("REDIS_URL", None)
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    if options.workers:
        env["GUNICORN_WORKERS"] = str(options.workers)
    base = f"http://127.0.0.1:{port}"
    server = None
    try:
        print("preparing: migrate, demo content, collectstatic ...", flush=True)
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([PYTHON, "manage.py", "load_demo", "--no-accounts"], env)
        run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        guide_path = (
            options.guide
            or run(
                [
                    PYTHON,
                    "manage.py",
                    "shell",
                    "-c",
                    "from django.db.models import Count; from kb.models import Guide; "
                    "g = Guide.objects.published().annotate(n=Count('steps')).order_by('-n', 'pk')"
                    ".first(); print(g.get_absolute_url())",
                ],
                env,
            )
            .strip()
            .splitlines()[-1]
        )

        log = open(work / "gunicorn.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [GUNICORN, "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(base + guide_path, time.monotonic() + 60)

        status, headers, html = fetch(base + guide_path)
        stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html.decode())
        scripts = re.findall(r'<script src="([^"]+)"', html.decode())
        assert status == 200 and stylesheets, "the guide page links its stylesheets"

        first_visit = {"html": len(html), "html_gzip": len(gzip.compress(html, 6))}
        for asset in stylesheets + scripts:
            _s, asset_headers, body = fetch(base + asset, headers={"Accept-Encoding": "gzip"})
            first_visit[asset.rsplit("/", 1)[-1]] = len(body)
        assets = sum(v for k, v in first_visit.items() if k not in ("html", "html_gzip"))
        first_visit["total_html_uncompressed"] = first_visit["html"] + assets
        first_visit["total_html_gzip"] = first_visit["html_gzip"] + assets

        targets = {"guide page": guide_path}
        for sheet in stylesheets:
            targets[sheet.rsplit("/", 1)[-1]] = sheet
        for path in options.also:
            targets[path] = path
        for path in targets.values():  # warm caches and workers
            wrk(base + path, seconds=2, connections=options.connections, threads=options.threads)

        rps = {name: [] for name in targets}
        latency = {name: [] for name in targets}
        for round_number in range(1, options.rounds + 1):
            for name, path in targets.items():
                value, lat = wrk(
                    base + path,
                    seconds=options.seconds,
                    connections=options.connections,
                    threads=options.threads,
                )
                rps[name].append(value)
                latency[name].append(lat)
                print(f"round {round_number}: {name:<34} {value:>9.0f} req/s  (latency {lat})")
        median = {name: statistics.median(values) for name, values in rps.items()}
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)

    guide_rps = median["guide page"]
    print()
    print(f"guide page: {guide_path}")
    print(f"{'URL':<36}{'median req/s':>14}{'guide / this':>14}")
    for name, value in median.items():
        print(f"{name:<36}{value:>14.0f}{guide_rps / value:>14.2f}")
    print()
    print("first visit to the guide page (bytes as transferred; stylesheets and script gzip):")
    for name, size in first_visit.items():
        print(f"  {name:<34}{size / 1024:>8.1f} KB")

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "workers": options.workers or "config default",
        "wrk": {k: getattr(options, k) for k in ("seconds", "rounds", "connections", "threads")},
        "guide": guide_path,
        "rps": rps,
        "median_rps": median,
        "ratios": {
            name: guide_rps / value for name, value in median.items() if name != "guide page"
        },
        "first_visit_bytes": first_visit,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"public-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"\nsaved {out.relative_to(ROOT)}")
    worst = min(result["ratios"].values())
    print(f"lowest ratio guide/stylesheet: {worst:.2f} (target >= 0.50)")
    return 0 if worst >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
