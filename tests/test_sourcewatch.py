"""The source watch against a local HTTP server that these tests start on an ephemeral
loopback port: unchanged pages (304, and 200 with the same text), changed text, navigation-only
changes, gone pages, redirect loops, oversized and slow answers, robots.txt and the address
guard; then the editor's path: dashboard, diff, "the change matters", verification."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from kb.models import Guide, Source, SourceBaseline, SourcePage
from kb.services import sourcewatch, workflow
from kb.sources.fetch import HostPacer, address_allowed
from tests import factories

pytestmark = pytest.mark.django_db
State = SourceBaseline.State


def page(main, nav="<li>Home</li><li>Plans</li>"):
    return (
        "<!doctype html><html><head><title>Carrier</title><script>track()</script></head><body>"
        f"<nav><ul>{nav}</ul></nav><header>Carrier banner</header>"
        f"<main><article><h1>Suspend your line</h1>{main}</article></main>"
        "<footer>© 2026 Carrier · Privacy · Terms · Cookies</footer></body></html>"
    )


MAIN = (
    "<p>You can suspend your line for up to 90 days in a year. Sign in to My Account, open "
    "Line settings and choose Suspend line. We keep your number while it is suspended.</p>"
    "<p>A fee of $10 applies for each month of suspension and is charged to your next bill.</p>"
)


class Site:
    """Routes: path -> (status, headers, body) or a function of the handler."""

    def __init__(self):
        self.routes, self.requests = {}, []

    def handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path, (404, {}, b"not here"))
                if callable(route):
                    route = route(self)
                    if route is None:
                        return
                status, headers, body = route
                body = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def site(settings):
    settings.KB_SOURCE_WATCH_ALLOW_PRIVATE = True
    settings.KB_SOURCE_WATCH_HOST_DELAY = 0
    settings.KB_SOURCE_WATCH_TIMEOUT = 1
    settings.KB_SITE_URL = "https://guides.example.org"
    settings.KB_SOURCE_WATCH_USER_AGENT = "SIM Guides source watch (+https://guides.example.org/)"
    server_site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), server_site.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_site.base = f"http://127.0.0.1:{server.server_address[1]}"
    server_site.routes["/robots.txt"] = (
        200,
        {"Content-Type": "text/plain"},
        "User-agent: *\nDisallow: /private/\n",
    )
    yield server_site
    server.shutdown()
    server.server_close()


def cited_guide(site, path="/suspend", **kwargs):
    guide = factories.guide(status=Guide.Status.PUBLISHED, steps=1, **kwargs)
    Source.objects.create(guide=guide, url=site.base + path, title="Carrier help")
    return guide


def watch(**kwargs):
    return sourcewatch.sources_watch(**kwargs)


def baseline(guide):
    return SourceBaseline.objects.get(guide=guide)


def test_first_fetch_takes_the_baseline_and_names_the_site(site):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    report = watch()
    assert report.pages == 1 and report.unchanged == [site.base + "/suspend"]
    first = baseline(guide)
    assert first.state == State.SAME and "90 days" in first.text
    assert "Carrier banner" not in first.text and "Privacy" not in first.text
    assert "track()" not in first.text and "Plans" not in first.text
    agents = {headers.get("User-Agent") for _, headers in site.requests}
    assert agents == {"SIM Guides source watch (+https://guides.example.org/)"}
    assert [path for path, _ in site.requests] == ["/robots.txt", "/suspend"]


def test_unchanged_page_answering_304_is_not_flagged(site):
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT"}, page(MAIN)

    site.routes["/suspend"] = conditional
    guide = cited_guide(site)
    watch()
    report = watch()
    assert report.unchanged == [site.base + "/suspend"] and report.guides_flagged == []
    last = site.requests[-1][1]
    assert last["If-None-Match"] == '"v1"'
    assert last["If-Modified-Since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert baseline(guide).state == State.SAME
    assert "90 days" in SourcePage.objects.get().text


def test_unchanged_text_with_a_200_is_not_flagged(site):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    watch()
    site.routes["/suspend"] = (200, {}, page(MAIN).replace("track()", "track(2)"))
    report = watch()
    assert report.changed == [] and report.guides_flagged == []
    assert baseline(guide).state == State.SAME


def test_a_change_only_in_the_navigation_is_not_flagged(site):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    watch()
    site.routes["/suspend"] = (200, {}, page(MAIN, nav="<li>Home</li><li>Deals</li><li>5G</li>"))
    report = watch()
    assert report.guides_flagged == []
    assert baseline(guide).state == State.SAME


def test_changed_text_flags_the_guide_until_it_is_verified_again(
    site, client, django_capture_on_commit_callbacks
):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site, language="en")
    watch()
    site.routes["/suspend"] = (200, {}, page(MAIN.replace("$10", "$15").replace("90", "60")))
    report = watch()
    assert report.changed == [site.base + "/suspend"] and report.guides_flagged == [guide.slug]
    flagged = baseline(guide)
    assert flagged.state == State.CHANGED and "$10" in flagged.text

    editor = factories.user(superuser=True)
    client.force_login(editor)
    with translation.override("en"):
        index = client.get(reverse("admin:index")).content.decode()
        assert "Guides whose sources changed" in index
        listing = client.get(reverse("admin:kb_sourcebaseline_changelist") + "?review=open")
        assert guide.title in listing.content.decode()
        detail = client.get(
            reverse("admin:kb_sourcebaseline_change", args=[flagged.pk])
        ).content.decode()
    assert 'A fee of $1<del class="diff-del">0</del><ins class="diff-ins">5</ins>' in detail
    assert '<del class="diff-del">9</del><ins class="diff-ins">6</ins>0 days' in detail

    # Readers are not told anything until an editor confirms the change matters.
    assert "Being re-checked" not in client.get(guide.get_absolute_url()).content.decode()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:kb_sourcebaseline_changelist"),
            {"action": "confirm_change", "_selected_action": [flagged.pk]},
        )
    assert baseline(guide).confirmed_at is not None
    assert "Being re-checked" in client.get(guide.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.guide_verify(guide=guide, user=editor)
    accepted = baseline(guide)
    assert accepted.state == State.SAME and "$15" in accepted.text
    assert accepted.confirmed_at is None
    assert "Being re-checked" not in client.get(guide.get_absolute_url()).content.decode()
    assert watch().guides_flagged == []


def test_an_editor_may_decide_a_change_does_not_matter(site):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    watch()
    site.routes["/suspend"] = (200, {}, page(MAIN + "<p>Also available in our app.</p>"))
    watch()
    sourcewatch.source_change_accept(baseline=baseline(guide), user=factories.editor())
    assert baseline(guide).state == State.SAME
    assert watch().guides_flagged == []


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_page_is_source_gone(site, status):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    watch()
    site.routes["/suspend"] = (status, {}, "gone")
    report = watch()
    assert report.gone == [site.base + "/suspend"] and report.guides_flagged == [guide.slug]
    assert baseline(guide).state == State.GONE


def test_a_redirect_to_another_page_is_source_gone_but_a_trailing_slash_is_not(site):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    moved = cited_guide(site)
    same = cited_guide(
        site,
        path="/keep",
        task_obj=factories.task("renew", name_zh="续约", name_en="Renew", synonyms=""),
    )
    site.routes["/keep"] = (301, {"Location": "/keep/"}, "")
    site.routes["/keep/"] = (200, {}, page(MAIN))
    watch()
    site.routes["/suspend"] = (301, {"Location": "/plans/home"}, "")
    site.routes["/plans/home"] = (200, {}, page("<p>Our best plans.</p>" * 5))
    report = watch()
    assert report.gone == [site.base + "/suspend"]
    assert SourcePage.objects.get(url=site.base + "/suspend").detail.startswith("moved to")
    assert baseline(moved).state == State.GONE and baseline(same).state == State.SAME


def test_a_redirect_loop_is_a_failure_not_a_change(site):
    site.routes["/suspend"] = (302, {"Location": "/b"}, "")
    site.routes["/b"] = (302, {"Location": "/suspend"}, "")
    guide = cited_guide(site)
    report = watch()
    assert report.failed == [[site.base + "/suspend", "redirect loop"]]
    assert not SourceBaseline.objects.filter(guide=guide).exists()


def test_too_many_redirects_stop_at_five(site):
    for n in range(8):
        site.routes[f"/r{n}"] = (302, {"Location": f"/r{n + 1}"}, "")
    cited_guide(site, path="/r0")
    report = watch()
    assert report.failed == [[site.base + "/r0", "more than 5 redirects"]]
    assert len([p for p, _ in site.requests if p.startswith("/r") and p != "/robots.txt"]) == 6


def test_an_oversized_page_is_not_read_past_the_limit(site):
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    watch()

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()  # no Content-Length: the limit must hold while reading
        try:
            for _ in range(300):
                handler.wfile.write(b"<p>" + b"x" * 10_000 + b"</p>")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return None

    site.routes["/suspend"] = huge
    report = watch()
    assert report.failed == [[site.base + "/suspend", "larger than 2048 KB"]]
    assert baseline(guide).state == State.SAME  # nothing learned, nothing flagged
    assert "90 days" in SourcePage.objects.get().text


def test_a_slow_page_times_out(site):
    def slow(handler):
        time.sleep(2.5)
        return 200, {}, page(MAIN)

    site.routes["/suspend"] = slow
    cited_guide(site)
    started = time.monotonic()
    report = watch()
    assert report.failed == [[site.base + "/suspend", "timed out"]]
    assert time.monotonic() - started < 2.4


def test_robots_txt_is_respected(site):
    site.routes["/private/suspend"] = (200, {}, page(MAIN))
    cited_guide(site, path="/private/suspend")
    report = watch()
    assert report.refused == [[site.base + "/private/suspend", "robots.txt does not allow it"]]
    assert [path for path, _ in site.requests] == ["/robots.txt"]


def test_a_private_address_is_refused_in_production(site, settings):
    settings.KB_SOURCE_WATCH_ALLOW_PRIVATE = False
    site.routes["/suspend"] = (200, {}, page(MAIN))
    guide = cited_guide(site)
    report = watch()
    assert len(report.refused) == 1 and "non-public address" in report.refused[0][1]
    assert site.requests == []  # not even robots.txt
    assert SourcePage.objects.get().status == SourcePage.Status.REFUSED
    assert not SourceBaseline.objects.filter(guide=guide).exists()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_the_address_guard_refuses_non_public_ranges(address):
    assert not address_allowed(address)


def test_the_address_guard_allows_public_addresses():
    assert address_allowed("93.184.216.34") and address_allowed("2606:2800:220:1::1")


def test_only_http_and_https_are_fetched(site):
    guide = factories.guide(status=Guide.Status.PUBLISHED, steps=1)
    Source.objects.create(guide=guide, url="ftp://127.0.0.1/x", title="ftp")
    report = watch()
    assert report.refused == [["ftp://127.0.0.1/x", "only http and https are fetched"]]


def test_each_host_is_paced():
    slept, pacer = [], HostPacer(delay=5)
    pacer.sleep = slept.append
    pacer.wait("a.example")
    pacer.wait("b.example")
    pacer.wait("a.example")
    assert len(slept) == 1 and 4.9 < slept[0] <= 5


def test_the_command_reports_and_a_dry_run_stores_nothing(site, capsys):
    site.routes["/suspend"] = (404, {}, "")
    guide = cited_guide(site)
    call_command("watch_sources", "--guide", guide.slug, "--dry-run")
    out = capsys.readouterr().out
    assert f"gone      {site.base}/suspend" in out and "Dry run: nothing was stored." in out
    assert not SourcePage.objects.exists()
    call_command("watch_sources")
    assert SourcePage.objects.get().status == SourcePage.Status.GONE


def test_the_command_refuses_an_unknown_guide():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no published guide"):
        call_command("watch_sources", "--guide", "nope")


def test_the_scheduled_watch_runs_in_the_task_worker(
    site, settings, django_capture_on_commit_callbacks
):
    from kb import background, tasks
    from kb.models import TaskRecord

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    site.routes["/suspend"] = (200, {}, page(MAIN))
    cited_guide(site)
    with django_capture_on_commit_callbacks(execute=True):
        record = background.enqueue(tasks.sources_watch)
    assert site.requests == []  # nothing is fetched until a worker runs it
    from tests.test_tasks import work

    work()
    record = TaskRecord.objects.get(pk=record.pk)
    assert record.status == TaskRecord.Status.DONE and record.result["pages"] == 1
    assert SourcePage.objects.get().status == SourcePage.Status.OK
