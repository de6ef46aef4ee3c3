"""Uploaded pictures: verified, re-encoded without metadata, and cut into responsive sizes.

Only JPEG, PNG and WebP are accepted, judged by their bytes (never by the name or the type the
browser claims). Every upload is decoded in full by Pillow and written again from its pixels,
so nothing of the original file (EXIF with GPS, XMP, ICC profiles, comments, trailing data)
survives; the EXIF orientation is applied first, so the picture still stands the right way.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
WIDTHS = (480, 960, 1440)
WEBP_QUALITY = 80
JPEG_QUALITY = 82

# Magic numbers of the three formats we accept; anything else is refused before Pillow sees it.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)

MESSAGES = {
    "empty": _("The file is empty."),
    "too_big": _("The picture is larger than 5 MB. Make it smaller (a screenshot is enough)."),
    "format": _("Only JPEG, PNG and WebP pictures can be uploaded (not SVG, PDF or other files)."),
    "too_many_pixels": _("The picture has more than 40 megapixels. Make it smaller."),
    "broken": _("The picture could not be read: it is damaged or incomplete."),
}


def _refuse(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


def sniff_format(head: bytes) -> str | None:
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def read_upload(upload) -> bytes:
    """The upload's bytes, refusing empty and over-size files without reading past the limit."""
    if upload is None:
        raise _refuse("empty")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse("too_big")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise _refuse("empty")
    if len(data) > MAX_BYTES:
        raise _refuse("too_big")
    return data


@dataclass
class EncodedFile:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def name(self) -> str:
        """A content-hashed name: the same bytes always get the same name, never other bytes."""
        digest = self.sha256
        return f"{digest[:2]}/{digest[:32]}.{self.extension}"


@dataclass
class Rendition:
    width: int
    height: int
    webp: EncodedFile
    fallback: EncodedFile


@dataclass
class ProcessedImage:
    source_sha256: str
    width: int
    height: int
    has_alpha: bool
    renditions: list[Rendition] = field(default_factory=list)


def _decode(data: bytes) -> Image.Image:
    kind = sniff_format(data[:16])
    if kind is None:
        raise _refuse("format")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[kind]) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse("too_many_pixels")
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=[kind])
            if image.width * image.height > MAX_PIXELS:
                raise _refuse("too_many_pixels")
            image.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse("too_many_pixels") from None
        except Exception:  # Pillow raises OSError, SyntaxError, ValueError… for broken files
            raise _refuse("broken") from None
    return image


def _clean_pixels(image: Image.Image) -> tuple[Image.Image, bool]:
    """The pixels only, oriented, in RGB or RGBA, with no metadata attached."""
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    clean = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and clean.getextrema()[3][0] == 255:
        clean, has_alpha = clean.convert("RGB"), False
    clean.info = {}
    return clean, has_alpha


def _encode(image: Image.Image, fmt: str) -> EncodedFile:
    out = io.BytesIO()
    if fmt == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        ext, ctype = "webp", "image/webp"
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
        ext, ctype = "png", "image/png"
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        ext, ctype = "jpg", "image/jpeg"
    return EncodedFile(out.getvalue(), ext, ctype, image.width, image.height)


def target_widths(width: int) -> list[int]:
    largest = min(width, WIDTHS[-1])
    return sorted({w for w in WIDTHS if w < largest} | {largest})


def process(data: bytes, *, largest_only: bool = False) -> ProcessedImage:
    """Verify ``data`` and re-encode it at each width of ``target_widths`` (only the largest
    with ``largest_only``).

    Raises ValidationError (with a translated message) for anything that is not a readable
    JPEG, PNG or WebP within the limits.
    """
    if not data:
        raise _refuse("empty")
    if len(data) > MAX_BYTES:
        raise _refuse("too_big")
    decoded = _decode(data)
    source_format = decoded.format
    image, has_alpha = _clean_pixels(decoded)
    result = ProcessedImage(
        source_sha256=hashlib.sha256(data).hexdigest(),
        width=image.width,
        height=image.height,
        has_alpha=has_alpha,
    )
    # Screenshots and diagrams stay sharp as PNG; photos are smaller as JPEG.
    fallback = "PNG" if has_alpha or source_format == "PNG" else "JPEG"
    widths = target_widths(image.width)
    for width in widths[-1:] if largest_only else widths:
        height = max(1, round(image.height * width / image.width))
        sized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        sized.info = {}
        result.renditions.append(
            Rendition(width, height, _encode(sized, "WEBP"), _encode(sized, fallback))
        )
    return result
