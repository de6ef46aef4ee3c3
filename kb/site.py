"""The site's public address for links that leave a page (emails): ``KB_SITE_URL``, or in debug
without it, the host and port the current request came to (so ``runserver 8123`` links to 8123)."""

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost

_request_origin: ContextVar[str] = ContextVar("kb_request_origin", default="")


def remember_request_origin(request) -> None:
    if not settings.KB_SITE_URL_FROM_REQUEST:
        return
    try:
        _request_origin.set(f"{request.scheme}://{request.get_host()}")
    except DisallowedHost:
        pass


def site_url() -> str:
    if settings.KB_SITE_URL_FROM_REQUEST and _request_origin.get():
        return _request_origin.get()
    return settings.KB_SITE_URL
