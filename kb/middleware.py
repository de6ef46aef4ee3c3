import logging
import re
import time
import uuid

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
