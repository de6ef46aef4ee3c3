"""A page's main text: what the carrier says, without menus, scripts, cookie banners and footers.

trafilatura (maintained, used by research crawls of the web at scale) finds the main content
with its own rules and falls back to readability and jusText; it reads the page's encoding
itself. We keep its plain-text output, normalized so that only a change in wording counts.
"""

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def normalize(text: str) -> str:
    lines = []
    for line in unicodedata.normalize("NFKC", text or "").splitlines():
        line = _SPACES.sub(" ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def main_text(body: bytes, content_type: str = "") -> str:
    kind = content_type.split(";")[0].strip().lower()
    if kind and kind not in ("text/html", "application/xhtml+xml", "text/plain"):
        return ""
    if kind == "text/plain":
        return normalize(body.decode("utf-8", "replace"))
    import trafilatura

    text = trafilatura.extract(
        body,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_links=False,
        include_images=False,
        deduplicate=False,
    )
    return normalize(text or "")


def text_hash(text: str, body: bytes = b"") -> str:
    """The hash of the main text; of the raw bytes for pages without text (PDFs)."""
    data = text.encode("utf-8") if text else body
    return hashlib.sha256(data).hexdigest()
