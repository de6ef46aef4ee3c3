import logging
import re
import time
import uuid

from kb import site

logger = logging.getLogger("kb.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestLogMiddleware:
    """Give every request an id and log one line when it is answered.

    The line holds the id, method, path (without the query string, which may hold what a
    reader typed), status and time taken; never the client address. Static files are not
    logged unless ``KB_LOG_STATIC_REQUESTS`` is on.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        # One line per static file costs throughput and says little: off unless asked for.
        self.skip = None if settings.KB_LOG_STATIC_REQUESTS else settings.STATIC_URL

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        site.remember_request_origin(request)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request.id
        if self.skip and request.path.startswith(self.skip):
            return response
        logger.info(
            "request_id=%s method=%s path=%s status=%s duration_ms=%.1f",
            request.id,
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
        )
        return response


class CachedPageMiddleware:
    """Answer a GET for a public page the page caches hold before the rest of the middleware
    and the URL resolver run (``kb.views.pagecache.answer_early``): about a third of the cost
    of the same answer through the whole stack. Requests with a session cookie (staff), and any
    page this process has not yet answered once the whole way for that view and language, go
    through the stack as usual. Placed after SecurityMiddleware (HTTPS redirect, HSTS) and
    WhiteNoise (static files)."""

    def __init__(self, get_response):
        from django.conf import settings

        from kb.views import pagecache

        self.get_response = get_response
        self.pagecache = pagecache
        self.session_cookie = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        if request.method != "GET" or self.session_cookie in request.COOKIES:
            return self.get_response(request)
        response = self.pagecache.answer_early(request)
        if response is not None:
            return response
        response = self.get_response(request)
        self.pagecache.learn(request, response)
        return response


class StaffIdleTimeoutMiddleware:
    """End a staff member's session after ``KB_STAFF_IDLE_MINUTES`` without an admin request.

    Only admin requests are looked at (and only they touch the session), so the public pages a
    signed-in editor reads stay cacheable. The last-seen time is written at most once a minute.
    """

    SESSION_KEY = "kb_staff_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings
        from django.contrib.auth import logout

        match = getattr(request, "resolver_match", None)
        if match is None or "admin" not in match.namespaces:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        now = int(time.time())
        seen = request.session.get(self.SESSION_KEY)
        idle = max(1, settings.KB_STAFF_IDLE_MINUTES) * 60
        if isinstance(seen, int) and now - seen > idle:
            logout(request)  # the admin view then sends the user to its login page
            return None
        if not isinstance(seen, int) or now - seen >= 60:
            request.session[self.SESSION_KEY] = now
        return None


class PermissionsPolicyMiddleware:
    """Send ``KB_PERMISSIONS_POLICY`` (feature -> allowed origins) as the Permissions-Policy
    header of every response that has none: ``{"camera": []}`` is ``camera=()``, and
    ``{"fullscreen": ["self"]}`` is ``fullscreen=(self)``."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in settings.KB_PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


class TraditionalChineseMiddleware:
    """Pages under ``/zh-hant/`` in Traditional characters (``kb.traditional``).

    Cached public pages are converted once, when they are rendered into the page cache, and
    marked ``kb_traditional``; everything else a Traditional reader is sent (search, forms,
    errors) is converted here. The admin is left as editors write it.
    """

    TYPES = ("text/html", "application/rss+xml", "application/atom+xml", "application/xml")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not self._applies(request, response):
            return response
        from kb.traditional import html_to_traditional

        charset = response.charset or "utf-8"
        response.content = html_to_traditional(response.content.decode(charset)).encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        response.kb_traditional = True
        return response

    def _applies(self, request, response) -> bool:
        from kb.traditional import is_traditional

        if not is_traditional(getattr(request, "LANGUAGE_CODE", None)):
            return False
        if getattr(response, "kb_traditional", False) or response.streaming:
            return False
        if response.has_header("Content-Encoding") or response.status_code in (204, 304):
            return False
        match = getattr(request, "resolver_match", None)
        if match is not None and "admin" in match.namespaces:
            return False
        return response.get("Content-Type", "").split(";")[0].strip() in self.TYPES
