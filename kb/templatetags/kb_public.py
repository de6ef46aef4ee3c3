"""Template helpers for the public pages: language links, JSON-LD, the search box."""

import json

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse, translate_url
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info, override

from kb.traditional import SIMPLIFIED, TRADITIONAL, is_traditional, to_traditional

register = template.Library()

# The characters that could end a <script> element or start markup, escaped as JSON allows.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}
OG_LOCALE = {"zh-hans": "zh_CN", "zh-hant": "zh_TW", "en": "en_US"}


@register.filter
def json_ld(data):
    """``data`` as a ``<script type="application/ld+json">`` block, escaped like json_script."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def html_lang(code):
    return HTML_LANG.get(code, code)


@register.filter
def og_locale(code):
    return OG_LOCALE.get(code, code)


def alternates_for_path(request) -> list[dict]:
    """The current page in each language, for pages that exist in both (catalogue pages)."""
    current = get_language()
    # Only the search page is about its query; elsewhere the query string is dropped, so that a
    # cached page never carries what one visitor put in their address.
    match = getattr(request, "resolver_match", None)
    query = request.GET.urlencode() if match and match.url_name == "search" else ""
    links = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(request.path, code)
        if code != current and url == request.path:
            with override(code):
                url = reverse("kb:home")
            available = False
        else:
            available = True
            if query:
                url = f"{url}?{query}"
        links.append(_link(code, url, current, available))
    return links


def _link(code, url, current, available=True, title=""):
    info = get_language_info(code)
    return {
        "code": code,
        "html_lang": HTML_LANG.get(code, code),
        "name": info["name_local"],
        "url": url,
        "current": code == current,
        "available": available,
        "title": title,
    }


def alternates_for_guide(guide, siblings) -> list[dict]:
    """The guide and its published translations; a language without one links to that
    language's home page, marked unavailable."""
    by_language = {guide.language: guide, **{s.language: s for s in siblings}}
    current = TRADITIONAL if is_traditional() else guide.language
    links = []
    for code, _name in settings.LANGUAGES:
        other = by_language.get(SIMPLIFIED if code == TRADITIONAL else code)
        if other is not None:
            with override(code):
                url, title = other.get_absolute_url(), other.title
            if code == TRADITIONAL:
                title = to_traditional(title)
            links.append(_link(code, url, current, True, title))
        else:
            with override(code):
                links.append(_link(code, reverse("kb:home"), current, False))
    return links


@register.simple_tag(takes_context=True)
def language_links(context):
    links = context.get("alternates")
    if links is None:
        request = context.get("request")
        links = alternates_for_path(request) if request is not None else []
    return links


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


# Reader-independent fragments (the empty search box, the unanswered "did this work?" form),
# rendered once per process and language instead of on every page render.
_fragments: dict[tuple, str] = {}


def _fragment(key: tuple, render) -> str:
    key = (*key, get_language())
    html = _fragments.get(key)
    if html is None:
        html = _fragments[key] = mark_safe(render())  # noqa: S308 - rendered by our templates
    return html


def clear_fragments() -> None:
    _fragments.clear()


def warm_fragments() -> None:
    """Render the fragments of the active language (gunicorn's master, before the fork)."""
    from kb.views.public_forms import FeedbackForm

    search_box("header")
    feedback_fields(FeedbackForm())


def _render_search_box(place, query):
    from kb.views.public_forms import SearchBoxForm

    return render_to_string(
        "kb/_search_box.html", {"form": SearchBoxForm(place=place, initial={"q": query})}
    )


@register.simple_tag
def search_box(place="header", query=""):
    """The search form; what a reader typed is only ever in an uncached render."""
    if query:
        return mark_safe(_render_search_box(place, query))  # noqa: S308 - escaped by the template
    return _fragment(("search_box", place), lambda: _render_search_box(place, ""))


@register.simple_tag
def feedback_fields(form):
    """The fields and buttons of the "did this work?" form; unanswered it is the same for
    every reader and every guide."""
    if form.is_bound or form.initial:
        return mark_safe(render_to_string("kb/_feedback_fields.html", {"form": form}))  # noqa: S308
    return _fragment(
        ("feedback_fields",),
        lambda: render_to_string("kb/_feedback_fields.html", {"form": form}),
    )


# The guide's column is at most 60rem wide, less the list's indent; phones use the full width.
FIGURE_SIZES = "(min-width: 62rem) 54rem, calc(100vw - 3rem)"


@register.inclusion_tag("kb/_figures.html")
def figures(obj, lazy=True):
    """The pictures of a step or problem as <figure>s. The public view attaches them as
    ``pictures`` (one query per page); the admin preview falls back to the rows."""
    pictures = getattr(obj, "pictures", None)
    if pictures is None:
        pictures = list(obj.images.select_related("asset"))
    return {"pictures": pictures, "lazy": lazy, "sizes": FIGURE_SIZES}
