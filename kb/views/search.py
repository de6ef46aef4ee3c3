"""The search results page and the counted link from a result to its guide."""

import hashlib
import time

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kb import ratelimit
from kb.models import Guide, Language, Problem, Step
from kb.search import gaps, snippets
from kb.search.lexicon import CARRIER, COUNTRY, TASK
from kb.search.query import MAX_QUERY_CHARS, MAX_RESULTS, facet_counts, filter_hits
from kb.search.query import search as run_search
from kb.traditional import content_language
from kb.views.pagecache import cached_page
from kb.views.public import _page

PAGE_SIZE = 10
# Options shown per facet (the most frequent, and the one selected): a query such as "esim"
# matches guides of hundreds of carriers, a list no one reads on a phone.
FACET_OPTIONS = 12
# What a results page depends on in the query string (its page-cache key); anything else, such
# as tracking parameters, is ignored.
SEARCH_PARAMETERS = ("q", "page", CARRIER, COUNTRY, TASK, "lang")
# How long a results page may be kept (a publish drops it at once, through its tags).
SEARCH_PAGE_SECONDS = 15 * 60
FACET_TITLES = {
    CARRIER: _("Carrier"),
    COUNTRY: _("Country"),
    TASK: _("Task"),
    "language": _("Language"),
}
LANGUAGE_NAMES = dict(Language.choices)


def _clean(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable() or ch.isspace())


def _selected_facets(request, lexicon) -> dict[str, tuple[object, str]]:
    """Facet filters from the query string, as {kind: (value, slug)}; unknown values ignored."""
    selected = {}
    for kind in (CARRIER, COUNTRY, TASK):
        slug = request.GET.get(kind, "")
        entity = lexicon.by_slug.get((kind, slug)) if slug else None
        if entity is not None:
            selected[kind] = (entity.pk, entity.slug)
    lang = request.GET.get("lang", "")
    if lang in LANGUAGE_NAMES:
        selected["language"] = (lang, lang)
    return selected


def _url(query: str, params: dict, base: str | None = None) -> str:
    items = {"q": query, **{key: value for key, value in params.items() if value}}
    return f"{base or reverse('kb:search')}?{urlencode(items)}"


def _facets(hits, selected, lexicon, query, language):
    params = {
        ("lang" if kind == "language" else kind): slug for kind, (_, slug) in selected.items()
    }
    base = reverse("kb:search")
    groups = []
    for kind, title in FACET_TITLES.items():
        others = {k: v for k, v in selected.items() if k != kind}
        counts = facet_counts(filter_hits(hits, {k: v[0] for k, v in others.items()}), kind)
        if len(counts) < 2 and kind not in selected:
            continue
        key = "lang" if kind == "language" else kind
        options = []
        more = 0
        for value, count in counts:
            active = kind in selected and selected[kind][0] == value
            if kind == "language":
                label, slug = LANGUAGE_NAMES.get(value, value), value
            else:
                entity = lexicon.get(kind, value)
                if entity is None:
                    continue
                label, slug = entity.label(language), entity.slug
            if len(options) >= FACET_OPTIONS and not active:
                more += 1
                continue
            link = {**params, key: None if active else slug}
            options.append(
                {"label": label, "count": count, "active": active, "url": _url(query, link, base)}
            )
        groups.append({"title": title, "options": options, "more": more})
    return groups


def _results(page_hits, analysis, query, common=frozenset()):
    ids = [hit.guide_id for hit in page_hits]
    guides = (
        Guide.objects.published()
        .filter(pk__in=ids)
        .order_by()
        .select_related("carrier", "country", "task")
        .prefetch_related(
            Prefetch("steps", queryset=Step.objects.only("guide_id", "position", "title", "body")),
            Prefetch(
                "problems",
                queryset=Problem.objects.only("guide_id", "position", "symptom", "solution"),
            ),
        )
        .in_bulk()
    )
    wanted = snippets.highlight_terms(analysis, common)
    log_query = gaps.gap_query(query)
    items = []
    for hit in page_hits:
        guide = guides.get(hit.guide_id)
        if guide is None:
            continue
        texts = [guide.summary]
        texts += [f"{step.title}\n{step.body}" for step in guide.steps.all()]
        texts += [f"{problem.symptom}\n{problem.solution}" for problem in guide.problems.all()]
        click = reverse("kb:search_click", kwargs={"pk": guide.pk})
        items.append(
            {
                "guide": guide,
                "title": snippets.snippet([guide.title], wanted, width=200),
                "snippet": snippets.snippet(texts, wanted),
                "url": f"{click}?{urlencode({'q': log_query})}"
                if log_query
                else guide.get_absolute_url(),
            }
        )
    return items


def _near(result, language):
    links = []
    for entity in result.near:
        view = {CARRIER: "kb:carrier", TASK: "kb:task", COUNTRY: "kb:country"}[entity.kind]
        links.append(
            {
                "label": entity.label(language),
                "kind": FACET_TITLES[entity.kind],
                "url": reverse(view, kwargs={"slug": entity.slug}),
            }
        )
    return links


def _request_url(result):
    carriers = result.analysis.entities(CARRIER)
    tasks = result.analysis.entities(TASK)
    if carriers and tasks:
        return reverse(
            "kb:guide_request", kwargs={"carrier": carriers[0].slug, "task": tasks[0].slug}
        )
    if carriers:
        return reverse("kb:carrier", kwargs={"slug": carriers[0].slug})
    near = [e for e in result.near if e.kind == CARRIER]
    if near:
        return reverse("kb:carrier", kwargs={"slug": near[0].slug})
    return reverse("kb:home")


# The gap-seen keys this process has already added (or found) today: a repeated search is
# answered without a cache write (a write on SQLite, whose lock every worker shares). Bounded;
# forgetting a key only costs one more ``add``, which still refuses to count twice.
_seen_here: set[str] = set()
_SEEN_HERE_MAX = 50_000


def _may_count_gap(request, query: str, language: str) -> bool:
    """A client counts once per query a day, so a script repeating a search cannot inflate the
    editors' search-gap list. One cache ``add``: atomic on every backend."""
    day = int(time.time() // 86400)
    digest = hashlib.sha256(f"{language}\x00{gaps.gap_query(query)}".encode()).hexdigest()[:24]
    key = f"kb:gap-seen:{ratelimit.client_hash(request)}:{digest}:{day}"
    if key in _seen_here:
        return False
    try:
        added = cache.add(key, 1, 86400 + 3600)
        # Both backends answer False when the write failed (a locked SQLite, Redis down):
        # remember the key only once the cache holds it, so that a repeat tries again.
        held = added or cache.has_key(key)
    except Exception:  # no cache: count it, as before
        return True
    if held:
        if len(_seen_here) >= _SEEN_HERE_MAX:
            _seen_here.clear()
        _seen_here.add(key)
    return added


def forget_seen() -> None:
    """Forget the gap-seen keys this process remembers (with the cache they mirror)."""
    _seen_here.clear()


def _count_gap(request, meta):
    """Every answered search, cached or not: the first page of an unfiltered search counts
    towards the editors' search-gap list (once per client, query and day)."""
    gap = meta.get("gap")
    if gap and _may_count_gap(request, gap["query"], gap["language"]):
        gaps.search_gap_record(**gap)


def _answer(request, context, *, gap=None):
    """The results page, kept in the page caches like the other public pages: what it lists
    changes with any published guide (tag ``guides``) and the catalogue; at most
    SEARCH_PAGE_SECONDS, so that one-off queries leave the shared cache soon."""
    return _page(
        request,
        "kb/search.html",
        context,
        tags=("guides",),
        meta={"gap": gap} if gap else None,
        fresh_for=SEARCH_PAGE_SECONDS,
    )


@cached_page(query=SEARCH_PARAMETERS, served=_count_gap)
def search(request):
    language = content_language()
    raw = _clean(request.GET.get("q", ""))
    notices = []
    if len(raw) > MAX_QUERY_CHARS:
        raw = raw[:MAX_QUERY_CHARS]
        notices.append(
            gettext("Your search was long: only its first %(count)s characters were used.")
            % {"count": MAX_QUERY_CHARS}
        )
    query = raw.strip()
    context = {
        "query": query,
        "notices": notices,
        "page_title": gettext("Search: %(query)s") % {"query": query}
        if query
        else gettext("Search"),
    }
    if not query:
        context["message"] = gettext(
            "Type a carrier and what you need to do, e.g. “T-Mobile 注销”."
        )
        return _answer(request, context)

    result = run_search(query, language=language)
    if result.analysis.empty:
        context["message"] = gettext(
            "There is nothing to search for in what you typed: try a carrier name or a task."
        )
        return _answer(request, context)

    lexicon = result.lexicon
    selected = _selected_facets(request, lexicon)
    hits = filter_hits(result.hits, {kind: value for kind, (value, _) in selected.items()})
    page = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
    params = {("lang" if k == "language" else k): slug for k, (_, slug) in selected.items()}
    gap = None
    if request.GET.get("page", "1") == "1" and not selected:
        gap = {"query": query, "language": language, "found": bool(result.hits)}
    context.update(
        {
            "result": result,
            "total": len(hits),
            "capped": len(result.hits) >= MAX_RESULTS,
            "page": page,
            "items": _results(list(page.object_list), result.analysis, query, result.common),
            "facets": _facets(result.hits, selected, lexicon, query, language)
            if result.hits
            else [],
            "any_filter": bool(selected),
            "clear_url": _url(query, {}),
            "suggestion": result.suggestion,
            "suggestion_url": _url(result.suggestion, {}) if result.suggestion else "",
            "near": _near(result, language) if not result.hits else [],
            "request_url": _request_url(result) if not result.hits else "",
            "page_url": _url(query, params),
        }
    )
    return _answer(request, context, gap=gap)


def search_click(request, pk):
    """Count a click from the results (the query comes along) and go to the guide."""
    guide = get_object_or_404(Guide.objects.published(), pk=pk)
    query = _clean(request.GET.get("q", ""))[:MAX_QUERY_CHARS]
    if query.strip():
        gaps.search_gap_click(query=query, language=content_language())
    return redirect(guide.get_absolute_url())
