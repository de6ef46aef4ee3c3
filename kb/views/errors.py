"""Error pages in the site's style. The 500 page uses no database, no request context and no
template tag that could fail again; if even that fails, a fixed bilingual page is sent."""

import logging

from django.conf import settings
from django.http import HttpResponseNotFound, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

FALLBACK_500 = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>出错了 · Server error</title></head>'
    "<body><h1>出错了</h1><p>服务器暂时无法处理这个请求。请稍后再试。</p>"
    '<h2 lang="en">Something went wrong</h2><p lang="en">The server could not answer this request. '
    'Please try again in a moment.</p><p><a href="/">首页 · Home</a></p></body></html>'
)


def page_not_found(request, exception=None):
    template = loader.get_template("404.html")
    return HttpResponseNotFound(template.render({"page_title": None}, request))


def server_error(request):
    try:
        language = get_language() or "zh-hans"
        body = loader.get_template("500.html").render(
            {
                "english_first": language.startswith("en"),
                "request_id": getattr(request, "id", ""),
                "SITE_NAME": settings.SITE_NAME,
            }
        )
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = FALLBACK_500
    return HttpResponseServerError(body)


def login_locked(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: 429, in the admin's look and language."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "kb/lockout.html", {"cooloff_minutes": minutes}, status=429)
