"""The web app manifest, /favicon.ico (browsers ask for it whatever the page says), the offline
service worker and the page listing the guides it keeps."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import cache_control

from kb.templatetags.kb_public import html_lang


@cache_control(max_age=86400, public=True)
def web_manifest(request):
    icons = [
        {"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    icons.append({"src": static("icons/favicon.svg"), "sizes": "any", "type": "image/svg+xml"})
    data = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME,
        "description": gettext(
            "Step-by-step guides for managing phone lines and eSIMs from abroad."
        ),
        "lang": html_lang(get_language()),
        "start_url": reverse("kb:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def favicon(request):
    return redirect(static("icons/favicon.svg"), permanent=True)


def _service_worker_source() -> bytes:
    found = finders.find("js/sw.js")
    if found:
        return Path(found).read_bytes()
    with staticfiles_storage.open("js/sw.js") as handle:
        return handle.read()


@cache_control(no_cache=True)
def service_worker(request):
    """The offline service worker, at the site's root so that its scope is the whole site."""
    response = HttpResponse(_service_worker_source(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


def saved_guides(request):
    """The guides this browser keeps for offline reading (listed by site.js from its cache)."""
    return render(
        request,
        "kb/saved.html",
        {
            "page_title": gettext("Saved for offline reading"),
            "crumbs": [(gettext("Home"), reverse("kb:home"))],
        },
    )
