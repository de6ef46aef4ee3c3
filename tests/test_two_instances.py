"""Two gunicorn instances sharing one PostgreSQL and one Redis behave as one site (issue 15).

Each instance is a real gunicorn master with two preloaded workers on a loopback port, started
with the production settings and pointed at this test's database and Redis. The tests show that
a guide published through one instance is served fresh by the other at once (and one archived
while Redis refused its page-cache bump is not served stale by the other either), that the
correction limit counts the posts to both together, that an admin session works on both, and
that killing a worker and then a whole instance under load loses no correction whose sender got
the thank-you page.

They need PostgreSQL and Redis (the CI's second pass): SQLite and the database cache are for
one machine.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from kb.models import Correction, Guide
from kb.services import workflow
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "two-instances-pw-0123"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
        or not settings.REDIS_URL,
        reason="several instances need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
    ),
]


# --- the instances ----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """This test's database (test_<name>, with xdist test_<name>_gwN), as the instances see it."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class Instance:
    def __init__(self, name: str, env: dict, log: Path):
        self.name, self.port = name, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    if len(self.workers()) >= 2:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"instance {self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        return _children(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the master and every worker, as a machine that loses power."""
        workers = self.workers()
        for pid in [self.process.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        for pid in workers:  # SIGKILLed; gone once reaped by init
            deadline = time.monotonic() + 5
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    break
                time.sleep(0.05)


@pytest.fixture(scope="module")
def instances(django_db_setup, tmp_path_factory):
    """Instances A and B on loopback ports, on this test's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_SECURE_PROXY_SSL_HEADER="0",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=_database_url(),
        # The Redis database this test process uses (one per xdist worker, tests/conftest.py).
        REDIS_URL=settings.CACHES["default"]["LOCATION"],
        KB_TASKS_BACKEND="immediate",
        KB_CORRECTION_RATE="5/h",
        KB_CORRECTION_GUIDE_RATE="0",
        KB_CORRECTION_MIN_SECONDS="0",
        KB_CONTENT_GENERATION_SECONDS="2",
        GUNICORN_WORKERS="2",
        GUNICORN_TIMEOUT="20",
        GUNICORN_LOGLEVEL="warning",
    )
    logs = tmp_path_factory.mktemp("instances")
    started = [Instance(name, env, logs / f"{name}.log") for name in ("a", "b")]
    try:
        deadline = time.monotonic() + 90
        for instance in started:
            instance.wait_ready(deadline)
        yield dict(zip(("a", "b"), started, strict=True))
    finally:
        for instance in started:
            if instance.process.poll() is None:
                instance.kill()


def _browser(instance, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=instance.url, timeout=15, follow_redirects=False, **kwargs)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in the page"
    return match.group(1)


def _superuser(username: str) -> User:
    """A superuser whose password the instances can check (they use the production hasher; the
    tests' own MD5 hasher is not in their list)."""
    user = factories.user(username, superuser=True)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, uuid.uuid4().hex[:16], iterations=1000)
    user.save(update_fields=["password"])
    return user


def _log_in(client: httpx.Client, username: str) -> None:
    url = reverse("admin:login")
    page = client.get(url)
    assert page.status_code == 200
    answer = client.post(
        url,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _hidden(page.text, "csrfmiddlewaretoken"),
            "next": reverse("admin:index"),
        },
    )
    assert answer.status_code == 302, answer.text[:2000]
    assert "sessionid" in client.cookies


def _published(**kwargs) -> Guide:
    return factories.guide(status=Guide.Status.PUBLISHED, **kwargs)


# --- pages --------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_guide_published_through_one_instance_is_served_fresh_by_the_other_at_once(instances):
    a, b = instances["a"], instances["b"]
    writer, reviewer = _superuser("writer"), _superuser("reviewer")
    live = _published(updated_by=writer)
    url = live.get_absolute_url()
    with _browser(a) as reader_a:
        seen = [reader_a.get(url) for _ in range(6)]
    assert all(r.status_code == 200 and "做第 1 件事。" in r.text for r in seen)
    assert {r.headers["X-Page-Cache"] for r in seen} & {"hit", "shared"}, "A never cached it"

    copy = workflow.guide_start_change(guide=live, user=writer)
    fresh = f"先打开 App，再点“暂停线路”（{uuid.uuid4().hex[:8]}）。"
    step = copy.steps.get(position=1)
    step.body = fresh
    step.save()
    copy.updated_by = writer
    copy.save()
    copy = workflow.guide_submit(guide=copy, user=writer)

    with _browser(b) as editor_b:
        _log_in(editor_b, reviewer.username)
        change = editor_b.get(reverse("admin:kb_guide_change", args=[copy.pk]))
        assert change.status_code == 200
        published = editor_b.post(
            reverse("admin:kb_guide_transition", args=[copy.pk, "publish"]),
            data={
                "csrfmiddlewaretoken": _hidden(change.text, "csrfmiddlewaretoken"),
                "kb_version": workflow.version_token(copy),
            },
        )
    assert published.status_code == 302
    assert Guide.objects.get(pk=live.pk).steps.get(position=1).body == fresh

    with _browser(a) as reader_a:
        after = [reader_a.get(url) for _ in range(6)]
    assert all(r.status_code == 200 for r in after)
    assert all(fresh in r.text and "做第 1 件事。" not in r.text for r in after)


@pytest.mark.django_db(transaction=True)
def test_a_guide_archived_while_redis_refused_its_bump_is_not_served_stale_by_another_instance(
    instances, monkeypatch
):
    from kb import caching
    from kb.models import CacheBump
    from kb.services import hooks

    b = instances["b"]
    reviewer = _superuser("reviewer")
    guide = _published()
    url = guide.get_absolute_url()
    with _browser(b) as reader_b:
        seen = [reader_b.get(url) for _ in range(6)]
        assert all(r.status_code == 200 for r in seen)
        assert {r.headers["X-Page-Cache"] for r in seen} & {"hit", "shared"}

        def refused(*args, **kwargs):
            raise ConnectionError("cache down")

        # This process archives it while the shared cache does not take the bump: the versions
        # B checks its pages against do not move.
        monkeypatch.setattr(caching, "bump_content_version", refused)
        monkeypatch.setattr(hooks, "BUMP_RETRY_DELAYS", ())
        workflow.guide_archive(guide=guide, user=reviewer, reason="运营商已停止这项服务")
        monkeypatch.undo()
        assert CacheBump.objects.filter(done_at__isnull=True).exists()

        time.sleep(2.5)  # KB_CONTENT_GENERATION_SECONDS of the instances, and a margin
        after = [reader_b.get(url) for _ in range(6)]
    assert [r.status_code for r in after] == [404] * 6
    # B retried the bump itself: pages are cached again.
    assert not CacheBump.objects.filter(done_at__isnull=True).exists()


# --- the correction limit -----------------------------------------------------------------------
def _correction_client(instance, guide) -> tuple[httpx.Client, dict]:
    client = _browser(instance)
    form = client.get(guide.get_correction_url())
    assert form.status_code == 200
    fields = {
        "csrfmiddlewaretoken": _hidden(form.text, "csrfmiddlewaretoken"),
        "started": _hidden(form.text, "started"),
        "kind": "outdated",
        "step": "",
        "evidence_url": "",
        "tried_on": "",
        "plan_type": "",
        "email": "",
        "website": "",
    }
    return client, fields


def _send(client, fields, guide, token: str) -> httpx.Response:
    text = f"在 App 里点“账户”→“暂停线路”，再确认。编号 {token}"
    return client.post(guide.get_correction_url(), data={**fields, "proposed_text": text})


@pytest.mark.django_db(transaction=True)
def test_the_correction_limit_counts_posts_to_both_instances_together(instances):
    guide = _published()
    clients = [_correction_client(instances[name], guide) for name in ("a", "b")]
    tokens = [uuid.uuid4().hex for _ in range(8)]
    try:
        for n, token in enumerate(tokens):  # A, B, A, B, ...: four each, limit 5 per sender
            client, fields = clients[n % 2]
            answer = _send(client, fields, guide, token)
            assert answer.status_code == 302, answer.text[:2000]
            thanks = client.get(answer.headers["Location"])
            assert thanks.status_code == 200
    finally:
        for client, _ in clients:
            client.close()

    stored = {c.proposed_text.rsplit(" ", 1)[1]: c for c in Correction.objects.all()}
    assert set(stored) == set(tokens)  # every post kept, the limited ones too
    limited = [t for t in tokens if stored[t].status == Correction.Status.SPAM]
    assert limited == tokens[5:]
    for token in limited:
        assert {"rule": "rate_limited", "match": "sender"} in stored[token].spam_reasons
    assert all(stored[t].status == Correction.Status.RECEIVED for t in tokens[:5])


# --- the admin --------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_admin_session_started_on_one_instance_works_on_the_other(instances):
    editor = _superuser("editor")
    with _browser(instances["a"]) as on_a:
        _log_in(on_a, editor.username)
        cookies = dict(on_a.cookies)
        assert on_a.get(reverse("admin:index")).status_code == 200
    with _browser(instances["b"], cookies=cookies) as on_b:
        index = on_b.get(reverse("admin:index"))
        assert index.status_code == 200, index.headers.get("Location")
        assert 'name="username"' not in index.text
        # A form posted on B with the session and the CSRF cookie from A is accepted.
        assert (
            on_b.post(
                reverse("admin:logout"),
                data={
                    "csrfmiddlewaretoken": _hidden(index.text, "csrfmiddlewaretoken"),
                },
            ).status_code
            == 200
        )
    with _browser(instances["a"], cookies=cookies) as on_a:
        assert on_a.get(reverse("admin:index")).status_code == 302  # logged out everywhere


# --- losing processes ---------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_then_an_instance_under_load_loses_no_confirmed_correction(instances):
    a, b = instances["a"], instances["b"]
    guide = _published()
    confirmed: list[tuple[str, int, str]] = []  # (instance, phase the post started in, token)
    phase = [0]  # 0 all up, 1 a worker of A killed, 2 instance A killed
    failed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post_until_stopped(instance, client, fields):
        try:
            while not stop.is_set():
                token, started_in = uuid.uuid4().hex, phase[0]
                try:
                    answer = _send(client, fields, guide, token)
                except httpx.HTTPError:
                    with lock:
                        failed.append(instance.name)
                    time.sleep(0.05)
                    continue
                if answer.status_code == 302 and "/thanks" in answer.headers.get("Location", ""):
                    with lock:
                        confirmed.append((instance.name, started_in, token))
        finally:
            client.close()

    def wait_for(what, deadline=30):
        until = time.monotonic() + deadline
        while not what():
            assert time.monotonic() < until, f"timed out; answered: {sorted(served())}"
            time.sleep(0.05)

    def served():
        with lock:
            return {(name, when) for name, when, _ in confirmed}

    threads = [
        threading.Thread(
            target=post_until_stopped, args=(instance, *_correction_client(instance, guide))
        )
        for instance in (a, a, b, b)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: {("a", 0), ("b", 0)} <= served())
        worker = a.workers()[0]
        os.kill(worker, signal.SIGKILL)
        phase[0] = 1
        # A keeps answering with its other worker and the one its master starts instead.
        wait_for(lambda: ("a", 1) in served() and worker not in a.workers())
        a.kill()
        phase[0] = 2
        wait_for(lambda: ("b", 2) in served())  # B keeps answering without A
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert ("a", 2) not in served()
    assert "a" in failed  # the load did reach the dead instance
    stored = set(Correction.objects.filter(guide=guide).values_list("proposed_text", flat=True))
    stored_tokens = {text.rsplit(" ", 1)[1] for text in stored}
    lost = [token for _, _, token in confirmed if token not in stored_tokens]
    assert not lost, f"{len(lost)} of {len(confirmed)} confirmed corrections are missing"
