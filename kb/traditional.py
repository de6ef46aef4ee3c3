"""Traditional Chinese, derived from the Simplified text with OpenCC.

Editors write Simplified Chinese; ``/zh-hant/`` shows the same guides converted. One
``/zh-hant/`` serves readers in Hong Kong and Taiwan alike, so the conversion is ``s2tw``:
Taiwan's standard character forms (為, 裡, 著, which Hong Kong readers read as their own), and
deliberately *no* phrase table. ``s2twp`` would also swap vocabulary (短信 -> 簡訊, 信息 -> 資訊,
移动数据 -> 行動數據, even 中国移动 -> 中國行動, a carrier that does not exist) and ``s2hk``
uses Hong Kong variants (賬户, 裏) that look odd in Taiwan; characters only, words as written.

What must not change is taken out before converting and put back after: the keep-as-is names
(carrier brands and product words such as giffgaff, eSIM and PAC), anything in
backticks, web and mail addresses and phone numbers; in HTML, whatever is inside ``code``,
``pre``, ``kbd``, ``samp``, ``script`` (but JSON-LD) and ``style`` or under ``translate="no"`` or
``lang="zh-Hans"`` (the language switch's 简体中文), and every
attribute except the human-readable ones (``alt``, ``title``, ``aria-label``, ``placeholder``).
Latin letters and digits are never touched by OpenCC, so Latin brands are safe either way; the
list exists for names in Chinese script that must stay as their owners write them.

A guide's converted text is made when it is published and stored on the guide
(``Guide.traditional``, :func:`guide_converted`); readers of ``/zh-hant/`` are shown that text.
Interface strings come from ``kb/locale/zh_Hant`` (derived from zh_Hans by
``compiletranslations``). Whatever else a page shows (catalogue names, listings) is converted
when the page is rendered for the page cache (:func:`html_to_traditional`); converting text
that is already Traditional leaves it as it is.
"""

import functools
import re

import opencc
from django.utils.translation import get_language

TRADITIONAL = "zh-hant"
SIMPLIFIED = "zh-hans"
CONFIG = "s2tw"

#: Names and words shown exactly as written on every page.
KEEP_AS_IS = (
    "eSIM",
    "SIM",
    "PAC",
    "STAC",
    "giffgaff",
    "iliad",
    "T-Mobile",
    "WINDTRE",
    "Vodafone",
    "CMHK",
    "OTP",
    "PUK",
)

_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_ALWAYS_PROTECTED = (
    r"`[^`\n]*`",
    r"(?:https?://|www\.)[^\s<>\"'）)]+",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    r"\+?\d[\d \-()]{5,}\d",
)
# OpenCC's phrase list reads 天后 as the goddess (天后娘娘); after a number it is "days later".
_AFTER_A_NUMBER = re.compile(r"(\d\s*(?:天|小时|分钟|个月|周|年))后")
_SKIP_ELEMENTS = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea"})
_TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
_TOKEN = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ATTRIBUTE = re.compile(r"(\s(?:" + "|".join(_TEXT_ATTRIBUTES) + r')=")([^"]*)(")', re.I)
_META_CONTENT = re.compile(r'(\scontent=")([^"]*)(")', re.I)
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.cache
def _converter(config: str = CONFIG):
    return opencc.OpenCC(config)


def is_traditional(language: str | None = None) -> bool:
    return (language or get_language() or "").lower() == TRADITIONAL


def content_language(language: str | None = None) -> str:
    """The language guides are stored in for a reader's language: Traditional readers read the
    Simplified guides, converted."""
    language = language or get_language() or SIMPLIFIED
    return SIMPLIFIED if is_traditional(language) else language


def _kept_names() -> tuple[str, ...]:
    return tuple(sorted(KEEP_AS_IS, key=len, reverse=True))


@functools.lru_cache(maxsize=8)
def _protected_pattern(names: tuple[str, ...]) -> re.Pattern:
    parts = [*_ALWAYS_PROTECTED, *(re.escape(name) for name in names if _CJK.search(name))]
    return re.compile("|".join(parts))


def _convert_plain(text: str, names: tuple[str, ...]) -> str:
    if not text or not _CJK.search(text):
        return text
    kept: list[str] = []

    def keep(match):
        kept.append(match.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    masked = _AFTER_A_NUMBER.sub(r"\1後", _protected_pattern(names).sub(keep, text))
    converted = _converter().convert(masked)
    return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], converted)


@functools.lru_cache(maxsize=20000)
def _convert_short(text: str, names: tuple[str, ...]) -> str:
    return _convert_plain(text, names)


def to_traditional(text: str, *, names: tuple[str, ...] | None = None) -> str:
    """``text`` (Simplified, plain or Markdown) in Traditional characters, kept names as they are."""
    if not text or not _CJK.search(text):
        return text
    names = _kept_names() if names is None else names
    if len(text) <= 200:
        return _convert_short(text, names)
    return _convert_plain(text, names)


def to_simplified(text: str) -> str:
    """What a reader wrote in Traditional characters, in Simplified, as search folds it.

    The other direction is zhconv's (``kb.search.normalize``), not OpenCC's ``t2s``: zhconv's
    zh-cn table gives the mainland words our guides use (帳號 -> 账号, 帳戶 -> 账户, where t2s
    gives the variant 帐号) and leaves Simplified text exactly as it is; editors then compare
    the same text search would match."""
    from kb.search.normalize import to_simplified as fold_to_simplified

    return fold_to_simplified(text or "")


def html_to_traditional(html: str, *, names: tuple[str, ...] | None = None) -> str:
    """Sanitized or rendered HTML with its text (and readable attributes) converted; markup,
    addresses and code left alone."""
    if not html or not _CJK.search(html):
        return html
    names = _kept_names() if names is None else names
    out: list[str] = []
    skip_tag, depth, pos = None, 0, 0
    for match in _TOKEN.finditer(html):
        text = html[pos : match.start()]
        out.append(text if skip_tag else to_traditional(text, names=names))
        tag = match.group(0)
        pos = match.end()
        name_match = _TAG_NAME.match(tag)
        if not name_match or tag.startswith("<!"):
            out.append(tag)
            continue
        name = name_match.group(1).lower()
        closing = tag.startswith("</")
        if skip_tag:
            if name == skip_tag and name not in _VOID and not tag.endswith("/>"):
                depth += -1 if closing else 1
                if depth == 0:
                    skip_tag = None
            out.append(tag)
            continue
        if not closing and (
            (name in _SKIP_ELEMENTS and "application/ld+json" not in tag)
            or 'translate="no"' in tag
            or 'lang="zh-Hans"' in tag
        ):
            if name not in _VOID and not tag.endswith("/>"):
                skip_tag, depth = name, 1
            out.append(tag)
            continue
        if not closing and _CJK.search(tag):
            tag = _ATTRIBUTE.sub(
                lambda m: m.group(1) + to_traditional(m.group(2), names=names) + m.group(3), tag
            )
            if name == "meta":
                tag = _META_CONTENT.sub(
                    lambda m: m.group(1) + to_traditional(m.group(2), names=names) + m.group(3),
                    tag,
                )
        out.append(tag)
    rest = html[pos:]
    out.append(rest if skip_tag else to_traditional(rest, names=names))
    return "".join(out)


# --- Guides ---------------------------------------------------------------------------------
GUIDE_TEXT = ("title", "summary", "time_needed", "unconfirmed")
GUIDE_HTML = ("prerequisites_html", "risk_notes_html", "tips_html")
STEP_TEXT, STEP_HTML = ("title",), ("body_html", "tip_html", "warning_html")
PROBLEM_TEXT, PROBLEM_HTML = ("symptom",), ("cause_html", "solution_html")


def _convert_fields(obj, text_fields, html_fields, names) -> dict:
    data = {f: to_traditional(getattr(obj, f) or "", names=names) for f in text_fields}
    data.update({f: html_to_traditional(getattr(obj, f) or "", names=names) for f in html_fields})
    return data


def guide_converted(guide, *, steps=None, problems=None, sources=None) -> dict:
    """The reader-visible text of a Simplified guide, in Traditional characters (what
    ``Guide.traditional`` stores at publish time)."""
    if guide.language != SIMPLIFIED:
        return {}
    names = _kept_names()
    steps = guide.steps.order_by("position") if steps is None else steps
    problems = guide.problems.order_by("position") if problems is None else problems
    sources = guide.sources.order_by("position", "id") if sources is None else sources
    return {
        "config": CONFIG,
        "guide": _convert_fields(guide, GUIDE_TEXT, GUIDE_HTML, names),
        "steps": {str(s.position): _convert_fields(s, STEP_TEXT, STEP_HTML, names) for s in steps},
        "problems": {
            str(p.position): _convert_fields(p, PROBLEM_TEXT, PROBLEM_HTML, names) for p in problems
        },
        "sources": [to_traditional(s.title, names=names) for s in sources],
    }


def show_traditional(guide, *, steps, problems, sources=(), data=None) -> None:
    """Put the guide's Traditional text on the in-memory objects a public page renders (never
    saved). ``data`` defaults to what was stored at publish time, converted now if missing."""
    if data is None:
        data = guide.traditional or guide_converted(
            guide, steps=steps, problems=problems, sources=sources
        )
    if not data:
        return
    for field, value in data.get("guide", {}).items():
        setattr(guide, field, value)
    for collection, key in ((steps, "steps"), (problems, "problems")):
        stored = data.get(key, {})
        for obj in collection:
            for field, value in stored.get(str(obj.position), {}).items():
                setattr(obj, field, value)
    titles = data.get("sources", [])
    for source, title in zip(sources, titles, strict=False):
        source.title = title
