"""Content-Security-Policy and Permissions-Policy on every page, and no inline code under them.

The pages are found by walking the project's URL resolver, not from a list kept here: a new URL
pattern fails these tests until ``_sample`` knows what to put in its arguments.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone

from kb.middleware import PermissionsPolicyMiddleware
from kb.models import (
    GuideFeedback,
    GuideRequest,
    ScheduledRun,
    SearchGap,
    SourceBaseline,
    SourcePage,
    TaskRecord,
)
from kb.services import catalogue, corrections, workflow
from kb.services import images as image_services
from kb.views.sitemaps import SITEMAPS
from tests import factories, pictures, public_data

pytestmark = pytest.mark.django_db

UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
DATABASE_TASKS = "django_tasks_db.DatabaseBackend"
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def _patterns(resolver=None, route="", namespace=()):
    """(view name or None, full route) of every URL pattern, routes joined as Django joins them
    in ``ResolverMatch.route``."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        part = str(entry.pattern)
        full = route + (part.removeprefix("^") if route else part)
        if isinstance(entry, URLResolver):
            inner = (*namespace, entry.namespace) if entry.namespace else namespace
            yield from _patterns(entry, full, inner)
        else:
            name = ":".join((*namespace, entry.name)) if entry.name else None
            yield name, full


@pytest.fixture
def site(settings):
    """At least one row behind every admin page and every public page."""
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    editor, reviewer = factories.editor("bianji"), factories.reviewer("shenhe")
    admin = factories.user("root", superuser=True)
    zh, _en = public_data.published_pair()
    draft = factories.guide(title="草稿指南", slug="draft-guide", task_obj=factories.task("renew"))
    workflow.guide_record_edit(guide=draft, user=editor, changed=["标题"])
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=draft, user=editor), user=reviewer
    )
    asset = image_services.image_store(
        processed=image_services.image_process(data=pictures.picture(800, 400))
    )
    image_services.image_place(guide=zh, step=zh.steps.get(position=1), asset=asset, alt="菜单")
    screenshot = SimpleUploadedFile("s.png", pictures.picture(400, 300), content_type="image/png")
    correction = corrections.correction_submit(
        guide=zh,
        step=zh.steps.get(position=1),
        kind="outdated",
        proposed_text="新的第一步。",
        language="zh-hans",
        screenshot=image_services.evidence_process(upload=screenshot),
    )
    facts = catalogue.carrier_facts(zh.carrier)
    catalogue.carrier_propose(
        carrier=zh.carrier,
        user=editor,
        facts={**facts, "carrier": {**facts["carrier"], "name_zh": "T-Mobile 美国"}},
    )
    now = timezone.now()
    GuideFeedback.objects.create(guide=zh, helpful=False, language="zh-hans", voter="a")
    GuideRequest.objects.create(
        carrier=zh.carrier, task=factories.task("port-out"), language="zh-hans", voter="a"
    )
    SearchGap.objects.create(query="暂停 tmobile", language="zh-hans", zero_results=3, gap=3)
    url = "https://www.t-mobile.com/support/pause"
    SourcePage.objects.create(url=url, host="www.t-mobile.com", text="New text.\nMore.")
    SourceBaseline.objects.create(
        guide=zh, url=url, text="Old text.\nMore.", taken_at=now, state="changed"
    )
    record = TaskRecord.objects.create(
        name="kb.tasks.search_index_rebuild", status="failed", last_error="Traceback:\n  boom"
    )
    ScheduledRun.objects.create(job="source_watch", period="2026-12-03", task=record)
    axes = {"user_agent": "test", "http_accept": "text/html", "path_info": "/zh-hans/admin/"}
    apps.get_model("axes", "AccessAttempt").objects.create(
        **axes, username="x", get_data="", post_data="", failures_since_start=1
    )
    apps.get_model("axes", "AccessLog").objects.create(**axes, username="root")
    apps.get_model("axes", "AccessFailureLog").objects.create(**axes, username="x")
    apps.get_model("django_tasks_database", "DBTaskResult").objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="kb.tasks.search_index_rebuild",
        backend_name="default",
        enqueued_at=now,
        run_after=now,
        exception_class_path="",
        traceback="",
    )
    # The admin of django-tasks' database backend lists its rows as that backend's tasks.
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": DATABASE_TASKS}}
    return {"admin": admin, "guide": zh, "live": live, "asset": asset, "correction": correction}


def _admin_object(route: str):
    """The first row of the model whose admin page ``route`` is (…/admin/<app>/<model>/…)."""
    app_label, model_name = route.split("/admin/", 1)[1].split("/")[:2]
    obj = apps.get_model(app_label, model_name)._default_manager.order_by("pk").first()
    if obj is None:
        pytest.fail(f"no {app_label}.{model_name} row for {route}: add one to the site fixture")
    return obj


def _sample(name: str | None, route: str, parameter: str, site: dict) -> str:
    """A value for ``parameter`` of the pattern ``name`` (``route``) that leads to a real page."""
    guide, live = site["guide"], site["live"]
    by_name = {
        ("media", "name"): lambda: "images/" + site["asset"].smallest["webp"],
        ("sitemap_section", "section"): lambda: next(iter(SITEMAPS)),
        ("admin:app_list", "app_label"): lambda: "kb",
        ("admin:view_on_site", "content_type_id"): lambda: (
            ContentType.objects.get_for_model(live).pk
        ),
        ("admin:view_on_site", "object_id"): lambda: live.pk,
        ("admin:kb_correction_screenshot", "pk"): lambda: site["correction"].pk,
        ("admin:kb_guide_revisions", "pk"): lambda: live.pk,  # revisions made by publishing
        ("admin:kb_guide_transition", "name"): lambda: "submit",
        ("admin:kb_correction_decide", "name"): lambda: "reject",
        ("admin:kb_carrierchange_decide", "name"): lambda: "approve",
        ("kb:country", "slug"): lambda: guide.country.slug,
        ("kb:carrier", "slug"): lambda: guide.carrier.slug,
        ("kb:carrier_feed", "slug"): lambda: guide.carrier.slug,
        ("kb:task", "slug"): lambda: guide.task.slug,
        ("kb:guide_request", "carrier"): lambda: guide.carrier.slug,
        ("kb:guide_request", "task"): lambda: "port-out",
        ("kb:search_click", "pk"): lambda: guide.pk,
        ("kb:correction_step", "position"): lambda: 1,
        ("kb:correction_status", "code"): lambda: site["correction"].code,
        ("kb:correction_thanks", "code"): lambda: site["correction"].code,
    }
    if name in ("kb:guide", "kb:guide_feedback", "kb:correction", "kb:correction_step"):
        by_name[(name, "slug")] = lambda: guide.slug
    if (name, parameter) in by_name:
        return str(by_name[(name, parameter)]())
    if "/admin/" in route and parameter in ("object_id", "pk", "id"):
        return str(_admin_object(route).pk)
    if "/admin/" in route and parameter == "url":  # the admin's catch-all
        return "no-such-page/"
    pytest.fail(f"no sample value for <{parameter}> of {name or route}: add one to _sample")


def _fill(name, route, site) -> str:
    def value(match):
        return _sample(name, route, match["name"] or match["group"], site)

    return "/" + PARAMETER.sub(value, route).replace("^", "").replace("$", "")


def _urls(site) -> list[tuple[str | None, str, str]]:
    """(name, route, path) of every URL pattern, each path checked to resolve to its pattern."""
    urls = []
    for name, route in _patterns():
        path = _fill(name, route, site)
        assert resolve(path).route == route, f"{path} does not lead to {name or route}"
        urls.append((name, route, path))
    return urls


def _variants(name: str | None, path: str) -> list[str]:
    """The page, and the forms of it that render other templates (results, popups, compare)."""
    extra = {"kb:search": ["?q=T-Mobile+暂停"], "admin:kb_guide_revisions": ["?current=1"]}
    variants = extra.get(name, [])
    if name and name.startswith("admin:") and name.endswith(("_add", "_changelist", "_change")):
        variants = [*variants, "?_popup=1&_to_field=id"]
    return [path, *(path + query for query in variants)]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


class _InlineCode(HTMLParser):
    """Collects what a strict CSP blocks in a page: inline scripts, style attributes and
    elements, event-handler attributes and javascript: links."""

    def __init__(self, nonces):
        super().__init__()
        self.nonces, self.found = nonces, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            kind = (attrs.get("type") or "").lower()
            if kind not in DATA_SCRIPT_TYPES and attrs.get("nonce") not in self.nonces:
                self.found.append(f"inline <script> #{self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> #{self.getpos()[0]}")
        for attribute, content in attrs.items():
            if attribute == "style" or attribute.startswith("on"):
                self.found.append(f"<{tag} {attribute}=…> #{self.getpos()[0]}")
            elif (content or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {attribute}=javascript:…> #{self.getpos()[0]}")


def _problems(path: str, response) -> list[str]:
    problems = []
    header = response.get("Content-Security-Policy")
    if not header:
        return [f"{path}: no Content-Security-Policy"]
    policy = _directives(header)
    for kind in ("script-src", "style-src"):
        sources = policy.get(kind, policy.get("default-src"))
        if sources is None:
            problems.append(f"{path}: {kind} falls back to anything")
        else:
            problems += [f"{path}: {kind} {s}" for s in sources if s in UNSAFE]
    for directive in ("object-src", "frame-ancestors", "base-uri"):
        if directive not in policy and policy.get("default-src") != ["'none'"]:
            problems.append(f"{path}: no {directive}")
    if "Permissions-Policy" not in response:
        problems.append(f"{path}: no Permissions-Policy")
    if response.get("Content-Type", "").startswith("text/html"):
        nonces = {s[7:-1] for s in policy.get("script-src", []) if s.startswith("'nonce-")}
        parser = _InlineCode(nonces)
        parser.feed(response.content.decode())
        problems += [f"{path}: {found}" for found in parser.found]
    return problems


def _get(client, path):
    response = client.get(path)
    if response.streaming:
        # Read to the end, as the test client expects (closing early closes the connection).
        b"".join(response.streaming_content)
    return response


def test_every_url_pattern_has_sample_arguments_that_resolve_back_to_it(site):
    routes = [route for _name, route, _path in _urls(site)]
    assert len(routes) == len(list(_patterns())) > 100
    assert {"zh-hans/", "zh-hans/admin/", "zh-hans/guides/<slug:slug>/"} <= set(routes)


def test_every_page_has_a_strict_csp_and_no_inline_code_for_readers_and_staff(site):
    staff = Client()
    staff.force_login(site["admin"])
    problems, statuses = [], {}
    for name, _route, page in _urls(site):
        for path in _variants(name, page):
            for who, client in (("anonymous", Client()), ("staff", staff)):
                response = _get(client, path)
                statuses[(who, path)] = response.status_code
                problems += [f"{who} {p}" for p in _problems(path, response)]
    assert problems == []
    # The walk reached the pages themselves, not only redirects and refusals.
    rendered = {path for (who, path), status in statuses.items() if status == 200}
    assert {
        site["guide"].get_absolute_url(),
        "/zh-hans/search/?q=T-Mobile+暂停",
        "/zh-hans/admin/kb/guide/",
        "/zh-hans/admin/kb/guide/add/?_popup=1&_to_field=id",
    } <= rendered
    assert sum(1 for (who, _), s in statuses.items() if who == "staff" and s == 200) > 80


def test_the_admin_of_an_editor_and_a_reviewer_has_no_inline_code(site):
    """Editors and reviewers see other buttons and inlines than a superuser."""
    guide = site["guide"]
    pages = [
        "/zh-hans/admin/",
        "/zh-hans/admin/kb/guide/",
        f"/zh-hans/admin/kb/guide/{guide.pk}/change/",
        f"/zh-hans/admin/kb/guide/{site['live'].pk}/change/",
        "/zh-hans/admin/kb/guide/add/",
        "/zh-hans/admin/kb/correction/",
        f"/zh-hans/admin/kb/correction/{site['correction'].pk}/change/",
    ]
    problems = []
    for username in ("bianji", "shenhe"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (username, path)
            problems += [f"{username} {p}" for p in _problems(path, response)]
    assert problems == []


def test_pictures_and_screenshots_keep_their_own_stricter_policy(client, site):
    picture = _get(client, site["asset"].thumbnail_url)
    assert picture.status_code == 200
    assert picture["Content-Security-Policy"] == "default-src 'none'"
    client.force_login(site["admin"])
    screenshot = _get(client, f"/zh-hans/admin/kb/imageasset/evidence/{site['correction'].pk}/")
    assert screenshot.status_code == 200
    assert screenshot["Content-Security-Policy"] == "default-src 'none'"


def test_the_policy_allows_scripts_styles_and_pictures_only_from_this_site(client):
    response = client.get("/zh-hans/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions.split(", ")


def test_the_permissions_policy_comes_from_settings_and_keeps_a_header_a_view_set(rf, settings):
    settings.KB_PERMISSIONS_POLICY = {"camera": [], "fullscreen": ["self"]}
    plain = PermissionsPolicyMiddleware(lambda request: HttpResponse())(rf.get("/"))
    assert plain["Permissions-Policy"] == "camera=(), fullscreen=(self)"

    def own(request):
        response = HttpResponse()
        response["Permissions-Policy"] = "camera=(self)"
        return response

    assert PermissionsPolicyMiddleware(own)(rf.get("/"))["Permissions-Policy"] == "camera=(self)"
