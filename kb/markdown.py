"""Markdown to sanitized HTML: the only place where HTML is made from text.

Markdown is parsed with markdown-it-py in CommonMark mode with raw HTML off, then cleaned by
nh3 with an allowlist, so that nothing an editor, an importer or a reader types can add a
script, an event attribute, an image from another host or a ``javascript:`` link.
"""

import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "em",
        "strong",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "mark",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "mark": set()}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "nofollow noopener noreferrer"

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def sanitize(html: str) -> str:
    """Clean HTML with the allowlist; anything outside it is removed or escaped."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(text: str) -> str:
    """Render Markdown to sanitized HTML (a plain ``str``, ready to store)."""
    if not text or not text.strip():
        return ""
    text = text.replace("\x00", "")
    return sanitize(_md.render(text)).strip()


def safe(html: str) -> SafeString:
    """Mark HTML from anywhere safe for a template, sanitizing it on the way out."""
    return mark_safe(sanitize(html))  # noqa: S308 - sanitized by the allowlist above


def stored(html: str) -> SafeString:
    """Mark HTML safe that ``render`` made when its row was saved (the models' ``*_html``
    fields, written only by their ``save()``): it was sanitized then, once, and is not again on
    every page view."""
    return mark_safe(html or "")  # noqa: S308 - sanitized by render() at save time


_TAG = re.compile(r"(<[^>]*>)")
_PHONE = re.compile(
    r"(?<![\w+\-./])"
    r"(\+\d{1,3}(?:[ \u00a0\-.]?\(?\d{1,4}\)?){2,5}|(?:1[ \-.])?\(?\d{3}\)?[ \-.]\d{3}[ \-.]\d{4})"
    r"(?![\w\-/])"
)
_NO_LINKS_INSIDE = {"a", "code", "pre"}


def _tel(number: str) -> str | None:
    digits = re.sub(r"\D", "", number)
    if not 7 <= len(digits) <= 15:
        return None
    return ("+" if number.startswith("+") else "") + digits


def link_phone_numbers(html: str) -> str:
    """Phone numbers in sanitized HTML as ``tel:`` links (outside links and code): +1 505 998
    3793, 1-800-937-8997, (800) 922-0204. Short codes (611, 65075) are left as text: they may be
    for a text message, not a call."""
    out: list[str] = []
    inside: list[str] = []
    for part in _TAG.split(html or ""):
        if part.startswith("<"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in _NO_LINKS_INSIDE:
                if part.startswith("</"):
                    if name in inside:
                        inside.remove(name)
                elif not part.endswith("/>"):
                    inside.append(name)
            out.append(part)
            continue
        if inside:
            out.append(part)
            continue

        def link(match):
            tel = _tel(match.group(1))
            if tel is None:
                return match.group(0)
            return f'<a href="tel:{tel}" class="tel">{match.group(1)}</a>'

        out.append(_PHONE.sub(link, part))
    return "".join(out)
