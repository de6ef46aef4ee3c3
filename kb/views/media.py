"""Uploaded pictures, served from the default storage (disk or bucket) on our own host.

Names are content hashes, so a response may be cached for a year and never revalidated. Only
``images/`` names of the exact hashed form are served: reader evidence (``evidence/``) and
anything else in the storage answer 404. In production the proxy may serve ``/media/images/``
itself (docs/images.md); this view is the fallback for one machine and for a bucket.
"""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.views.decorators.http import require_http_methods

from kb.models.images import NAME_RE

CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
CACHE_FOREVER = "public, max-age=31536000, immutable"


@require_http_methods(["GET", "HEAD"])
def media_file(request, name):
    if not NAME_RE.match(name):
        raise Http404
    etag = f'"{name.rsplit("/", 1)[-1].split(".")[0]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        except Exception as exc:  # a bucket answers "no such key" in its own way
            if exc.__class__.__name__ in ("ClientError", "NoSuchKey"):
                raise Http404 from None
            raise
        response = FileResponse(handle, content_type=CONTENT_TYPES[name.rsplit(".", 1)[-1]])
    response["Cache-Control"] = CACHE_FOREVER
    response["ETag"] = etag
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
