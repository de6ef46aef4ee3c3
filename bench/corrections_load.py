"""Load test for reader corrections: gunicorn (2 workers) in production settings, rate limit off.

    .venv/bin/python bench/corrections_load.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/corrections_load.py --db sqlite --submissions 500 --clients 50

For each database: a fresh database, ``migrate``, one published guide, gunicorn on 127.0.0.1
only, then N submissions from C concurrent clients (threads; each submission is a GET of the
form for its CSRF cookie and signed timestamp, then the POST). Checked afterwards: no 5xx, every
POST answered with a redirect to a thank-you page, and the database holds exactly one row per
submission with the reference codes the clients were given (no row lost, none twice).
Figures are printed as a Markdown table and written to bench/results/ (not committed).
"""

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
HOST = "127.0.0.1"
TIMEOUT = 30
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = "kb_bench_corrections"

SETUP = """
import django
django.setup()
from django.utils import timezone
from kb.models import Carrier, Country, Guide, Step, Task
country = Country.objects.create(slug="us", name_zh="美国", name_en="United States")
carrier = Carrier.objects.create(slug="t-mobile", name="T-Mobile", country=country)
task = Task.objects.create(slug="pause", name_zh="暂停", name_en="Pause a line")
now = timezone.now()
guide = Guide.objects.create(
    carrier=carrier, country=country, task=task, language="zh-hans", slug="bench-pause",
    title="T-Mobile 线路如何暂停", summary="基准测试用的指南。", status="published",
    published_at=now, content_updated_at=now,
)
for n in range(1, 6):
    Step.objects.create(guide=guide, position=n, title=f"第 {n} 步", body=f"做第 {n} 件事。")
print(guide.get_correction_url(guide.steps.get(position=2)))
"""

VERIFY = """
import json
import django
django.setup()
from django.db.models import Count
from kb.models import Correction
rows = list(Correction.objects.values_list("code", "proposed_text", "status"))
print(json.dumps({
    "rows": len(rows),
    "codes": [r[0] for r in rows],
    "texts": [r[1] for r in rows],
    "statuses": dict(Correction.objects.values_list("status").annotate(n=Count("id"))),
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_env(database_url: str, workdir: Path, port: int) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_", "DATABASE_URL", "REDIS_URL", "GUNICORN_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        DATABASE_URL=database_url,
        KB_VAR_DIR=str(workdir),
        KB_CORRECTION_RATE="0",
        KB_CORRECTION_GUIDE_RATE="0",
        KB_CORRECTION_MIN_SECONDS="0",
        GUNICORN_WORKERS="2",
        GUNICORN_BIND=f"{HOST}:{port}",
        PYTHONPATH=str(ROOT),
    )
    return env


def run(args, env, **kwargs):
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, **kwargs
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args[:3]))} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def reset_postgres() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    parts = urllib.parse.urlsplit(PG_ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{PG_DB}"))


def wait_until_up(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


_TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_STARTED_RE = re.compile(r'name="started" value="([^"]*)"')
_STEP_RE = re.compile(r'<option value="(\d+)" selected>')


class Client:
    """One reader: GET the form (cookie, tokens), POST it, follow nothing."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path

    def _request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def submit(self, n: int) -> dict:
        started = time.perf_counter()
        result = {"n": n, "get_status": None, "post_status": None, "code": None, "error": None}
        try:
            status, headers, body = self._request("GET", self.path)
            result["get_status"] = status
            result["get_ms"] = (time.perf_counter() - started) * 1000
            if status != 200:
                return result
            html = body.decode()
            cookie = SimpleCookie(headers.get("Set-Cookie", ""))
            csrf_cookie = cookie["csrftoken"].value
            text = f"第 {n} 位读者：现在要先在 App 里点“账户”→“暂停线路”，再确认。#{n}-{secrets.token_hex(4)}"
            form = {
                "csrfmiddlewaretoken": _TOKEN_RE.search(html).group(1),
                "started": _STARTED_RE.search(html).group(1),
                "step": _STEP_RE.search(html).group(1),
                "kind": "outdated",
                "proposed_text": text,
                "evidence_url": "",
                "tried_on": "",
                "plan_type": "prepaid",
                "email": "",
                "website": "",
            }
            result["text"] = text
            post_started = time.perf_counter()
            status, headers, _ = self._request(
                "POST",
                self.path,
                body=urllib.parse.urlencode(form),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf_cookie}",
                },
            )
            result["post_ms"] = (time.perf_counter() - post_started) * 1000
            result["post_status"] = status
            match = re.search(r"/corrections/([A-Z0-9]+)/thanks/", headers.get("Location", ""))
            result["code"] = match.group(1) if match else None
        except Exception as exc:  # counted, never hidden
            result["error"] = f"{type(exc).__name__}: {exc}"
        result["total_ms"] = (time.perf_counter() - started) * 1000
        return result


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def bench(db: str, submissions: int, clients: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"kb-bench-{db}-"))
    port = free_port()
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}" if db == "sqlite" else reset_postgres()
    env = base_env(database_url, workdir, port)
    run([PYTHON, "manage.py", "migrate", "--noinput"], env)
    run([PYTHON, "manage.py", "collectstatic", "--noinput"], env)
    path = run([PYTHON, "-c", SETUP], env).strip().splitlines()[-1]
    server = subprocess.Popen(
        [GUNICORN, "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gunicorn.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        wait_until_up(port, time.time() + 60)
        client = Client(port, path)
        lock = threading.Lock()
        results = []
        started = time.perf_counter()

        def one(n):
            outcome = client.submit(n)
            with lock:
                results.append(outcome)

        with ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [pool.submit(one, n) for n in range(submissions)]
            for future in futures:
                future.result(timeout=TIMEOUT * 3)
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stored = json.loads(run([PYTHON, "-c", VERIFY], env).strip().splitlines()[-1])

    codes = [r["code"] for r in results if r["code"]]
    post_ms = [r["post_ms"] for r in results if "post_ms" in r]
    total_ms = [r["total_ms"] for r in results]
    statuses = {}
    for r in results:
        for key in ("get_status", "post_status"):
            if r[key] is not None:
                statuses[f"{key[:-7].upper()} {r[key]}"] = (
                    statuses.get(f"{key[:-7].upper()} {r[key]}", 0) + 1
                )
    sent_texts = {r["text"] for r in results if "text" in r}
    figures = {
        "database": "SQLite (WAL)" if db == "sqlite" else "PostgreSQL",
        "submissions": submissions,
        "clients": clients,
        "wall_s": round(wall, 2),
        "throughput_per_s": round(submissions / wall, 1),
        "answers": statuses,
        "errors": [r["error"] for r in results if r["error"]][:5],
        "error_count": sum(1 for r in results if r["error"]),
        "server_errors": sum(
            1 for r in results for key in ("get_status", "post_status") if (r[key] or 0) >= 500
        ),
        "codes_returned": len(codes),
        "codes_unique": len(set(codes)),
        "rows_stored": stored["rows"],
        "codes_stored_unique": len(set(stored["codes"])),
        "codes_match": set(codes) == set(stored["codes"]),
        "texts_stored_once": len(stored["texts"]) == len(set(stored["texts"]))
        and set(stored["texts"]) == sent_texts,
        "stored_statuses": stored["statuses"],
        "post_p50_ms": round(statistics.median(post_ms), 1) if post_ms else None,
        "post_p95_ms": round(percentile(post_ms, 95), 1),
        "post_max_ms": round(max(post_ms), 1) if post_ms else None,
        "get_post_p95_ms": round(percentile(total_ms, 95), 1),
    }
    figures["ok"] = (
        figures["server_errors"] == 0
        and figures["error_count"] == 0
        and figures["codes_returned"] == submissions
        and figures["codes_unique"] == submissions
        and figures["rows_stored"] == submissions
        and figures["codes_match"]
        and figures["texts_stored_once"]
        and stored["statuses"] == {"received": submissions}
    )
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    return figures


def table(rows):
    lines = [
        "| database | submissions / clients | 5xx | POST answers | rows stored | unique codes | codes match | stored as | POST p50 | POST p95 | GET+POST p95 | wall | ok |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        lines.append(
            f"| {f['database']} | {f['submissions']} / {f['clients']} | {f['server_errors']} | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(f['answers'].items()) if k.startswith('POST'))} | "
            f"{f['rows_stored']} | {f['codes_stored_unique']} | {'yes' if f['codes_match'] else 'NO'} | "
            f"{', '.join(f'{k} {v}' for k, v in sorted(f['stored_statuses'].items()))} | "
            f"{f['post_p50_ms']} ms | {f['post_p95_ms']} ms | {f['get_post_p95_ms']} ms | "
            f"{f['wall_s']} s | {'yes' if f['ok'] else 'NO'} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    if args.submissions < 1 or args.clients < 1:
        parser.error("--submissions and --clients must be at least 1")
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    rows = [bench(db, args.submissions, args.clients) for db in dbs]
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"corrections-{int(time.time())}.json").write_text(json.dumps(rows, indent=2))
    print(table(rows))
    for f in rows:
        if f["errors"]:
            print(f"{f['database']}: first errors: {f['errors']}", file=sys.stderr)
    sys.exit(0 if all(f["ok"] for f in rows) else 1)


if __name__ == "__main__":
    main()
