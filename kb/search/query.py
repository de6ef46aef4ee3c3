"""From what a reader typed to ranked published guides.

1. ``analyze``: normalize the query, find the carriers, tasks and countries it names (exactly,
   or for a misspelt Latin name by edit distance), and make its index terms.
2. Retrieve in tiers, each a boolean condition, newest guides first: every named entity
   together (a carrier *and* a task), then each named entity alone (indexed columns), then
   every word for a query that names nothing, then any word that is not too common (the
   database's full-text index). Once enough guides are found the search stops, and no tier
   returns more than TIER_LIMIT guides, so the work stays bounded on a large catalogue.
3. Rank in Python from the stored terms, so that every database gives the same order: a guide
   of the named carrier weighs most, then the named task, then the named country, then the
   query's words in the title, the summary, the steps and problems; the reader's language
   breaks ties.
Only ``Guide.objects.published()`` rows ever come back.
"""

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import get_language

from kb import caching
from kb.models import Guide, SearchDocument
from kb.search.backends import get_backend
from kb.search.lexicon import CARRIER, COUNTRY, TASK, Entity, Lexicon, Mention, get_lexicon
from kb.search.normalize import normalize
from kb.search.snippets import highlight_candidates
from kb.search.tokens import stem, terms, units
from kb.traditional import content_language

MAX_QUERY_CHARS = 200
MAX_TERMS = 32
MAX_RESULTS = 200
TIER_LIMIT = 200
ENOUGH = 50
COMMON_SHARE = 0.05
PRUNE_FROM_DOCUMENTS = 1000

WEIGHT_CARRIER = 400
WEIGHT_TASK = 200
WEIGHT_COUNTRY = 100
WEIGHT_ALL_WORDS = 100
WEIGHT_COUNTRYWIDE = 50
WEIGHT_TEXT = 40
WEIGHT_IN_TITLE = 3.0
WEIGHT_IN_SUMMARY = 1.5
WEIGHT_IN_BODY = 1.0
BODY_SCORED = 50
TIE = 0.5
HIGHLIGHT_MAX_SHARE = 0.3
HIGHLIGHT_MIN_GUIDES = 3
FUZZY_CONFIDENCE = 0.8
IMPLIED_COUNTRY = 0.3

_SPACES = re.compile(r"\s+")


@dataclass
class Analysis:
    query: str
    normalized: str
    mentions: list[Mention] = field(default_factory=list)
    word_terms: list[str] = field(default_factory=list)
    text_terms: list[str] = field(default_factory=list)

    def weights(self, kind: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for mention in self.mentions:
            if mention.entity.kind == kind:
                weight = FUZZY_CONFIDENCE if mention.fuzzy else 1.0
                out[mention.entity.pk] = max(out.get(mention.entity.pk, 0.0), weight)
        return out

    def entities(self, kind: str | None = None) -> list[Entity]:
        seen: list[Entity] = []
        for mention in self.mentions:
            if (kind is None or mention.entity.kind == kind) and mention.entity not in seen:
                seen.append(mention.entity)
        return seen

    @property
    def corrections(self) -> list[Mention]:
        return [mention for mention in self.mentions if mention.fuzzy]

    def suggestion(self) -> str:
        """The query with misspelt names written out: "did you mean"."""
        text = self.normalized
        for mention in sorted(self.corrections, key=lambda m: m.start, reverse=True):
            text = text[: mention.start] + mention.written + text[mention.end :]
        return _SPACES.sub(" ", text).strip()

    @property
    def empty(self) -> bool:
        return not self.mentions and not self.text_terms


def _joined_terms(normalized: str, query_units) -> list[str]:
    out = []
    # Words typed apart that a guide may write together: "t mobile", "top up".
    for unit, following in zip(query_units, query_units[1:], strict=False):
        if not unit.cjk and not following.cjk and not unit.joined_to_next:
            if normalized[unit.end : following.start].isspace():
                out.append(stem(unit.text + following.text))
    return out


def _regional_mentions(mentions: list[Mention], lexicon: Lexicon) -> list[Mention]:
    """A carrier named with another country also names that country's carrier of the same
    name: "HK 中国移动" is China Mobile Hong Kong as well as China Mobile."""
    countries = [m.entity for m in mentions if m.entity.kind == COUNTRY]
    return [
        Mention(entity, m.first, m.last, m.start, m.end, fuzzy=m.fuzzy, written=m.written)
        for m in mentions
        if m.entity.kind == CARRIER
        for country in countries
        if country.pk != m.entity.country_pk
        for entity in lexicon.regional(m.entity, country.pk)
    ]


def analyze(query: str, lexicon: Lexicon, known_terms=None) -> Analysis:
    normalized = _SPACES.sub(" ", normalize(query or "")[:MAX_QUERY_CHARS]).strip()
    analysis = Analysis(query=query, normalized=normalized)
    if not normalized:
        return analysis
    query_units = units(normalized)
    analysis.mentions = lexicon.mentions(query_units)
    taken = {i for m in analysis.mentions for i in range(m.first, m.last + 1)}
    analysis.mentions += lexicon.fuzzy_mentions(query_units, taken, known_terms)
    analysis.mentions += _regional_mentions(analysis.mentions, lexicon)
    analysis.word_terms = list(dict.fromkeys(terms(normalized)))[:MAX_TERMS]
    joined = _joined_terms(normalized, query_units)
    analysis.text_terms = list(dict.fromkeys(analysis.word_terms + joined))[:MAX_TERMS]
    return analysis


@dataclass
class Hit:
    guide_id: int
    carrier_id: int | None
    country_id: int
    task_id: int
    language: str
    score: float = 0.0
    text: float = 0.0


@dataclass
class SearchResult:
    analysis: Analysis
    hits: list[Hit] = field(default_factory=list)
    near: list[Entity] = field(default_factory=list)
    lexicon: Lexicon | None = None
    common: set[str] = field(default_factory=set)

    @property
    def suggestion(self) -> str:
        return self.analysis.suggestion() if self.analysis.corrections else ""


# --- Index statistics, cached per content version ----------------------------------------------
_stats_lock = threading.Lock()
_stats: dict[str, tuple[int, dict]] = {}


def _stats_for(using: str, version: int) -> dict:
    hit = _stats.get(using)
    if hit is None or hit[0] != version:
        hit = (version, {"df": {}, "count": None})
        with _stats_lock:
            _stats[using] = hit
    return hit[1]


def _document_count(backend, using: str, version: int) -> int:
    stats = _stats_for(using, version)
    if stats["count"] is None:
        stats["count"] = backend.document_count()
    return stats["count"]


def _frequencies(backend, using: str, version: int, wanted: list[str]) -> dict[str, float]:
    cache = _stats_for(using, version)["df"]
    missing = [term for term in wanted if term not in cache]
    if missing:
        found = backend.document_frequencies(missing)
        if len(cache) > 50_000:
            cache.clear()
        for term in missing:
            cache[term] = found.get(term, 0.0)
    return {term: cache[term] for term in wanted}


# --- Search --------------------------------------------------------------------------------------
def _order(hits: list[Hit], language: str) -> None:
    """Best score first; among scores within TIE of each other, the reader's language first."""
    hits.sort(key=lambda h: (-h.score, -h.guide_id))
    groups: list[list[Hit]] = []
    for hit in hits:
        if groups and groups[-1][0].score - hit.score <= TIE:
            groups[-1].append(hit)
        else:
            groups.append([hit])
    hits[:] = [
        hit
        for group in groups
        for hit in sorted(group, key=lambda h: (h.language != language, -h.score, -h.guide_id))
    ]


def idf(share: float, documents: int) -> float:
    """Inverse document frequency: a word few guides hold weighs more than one most guides hold."""
    held = share * documents
    return math.log(1 + (documents + 1) / (held + 0.5))


def _matched(weights: dict[str, float], terms: str | None) -> float:
    return sum(weights[term] for term in set((terms or "").split()) if term in weights)


def _add_text_scores(hits: list[Hit], weights: dict[str, float], language: str) -> None:
    """Add the text score: the query's words, each weighted by its rarity, in the title, the
    summary, then (for the guides that can still reach the first pages) the steps and problems.
    Computed here from the stored terms, so that every database ranks alike."""
    if not weights:
        _order(hits, language)
        return
    best = (WEIGHT_IN_TITLE + WEIGHT_IN_SUMMARY + WEIGHT_IN_BODY) * sum(weights.values())
    for hit in hits:
        hit.score += WEIGHT_TEXT * hit.text / best
    _order(hits, language)
    leaders = {hit.guide_id: hit for hit in hits[:BODY_SCORED]}
    bodies = SearchDocument.objects.filter(guide_id__in=list(leaders)).values_list(
        "guide_id", "body_terms"
    )
    for guide_id, body in bodies:
        found = WEIGHT_IN_BODY * _matched(weights, body)
        leaders[guide_id].text += found
        leaders[guide_id].score += WEIGHT_TEXT * found / best
    _order(hits, language)


def _selective_terms(analysis: Analysis, backend, using: str, version: int) -> list[str]:
    """The query's text terms without the very common ones, on a large catalogue.

    A term held by more than COMMON_SHARE of the guides adds little to a score and much to the
    work (every guide that holds it is visited), as with Elasticsearch's cutoff frequency.
    """
    words = analysis.text_terms
    if not words or _document_count(backend, using, version) < PRUNE_FROM_DOCUMENTS:
        return words
    frequencies = _frequencies(backend, using, version, words)
    selective = [term for term in words if frequencies[term] <= COMMON_SHARE]
    # Only common words: keep the least common one, so the query still finds guides.
    return selective or [min(words, key=lambda term: frequencies[term])]


ENTITY_FIELDS = {CARRIER: "carrier_id__in", TASK: "task_id__in", COUNTRY: "country_id__in"}


def _tiers(analysis: Analysis, selective: list[str]) -> list[tuple[str, object]]:
    """The conditions to try, in order: on named entities (plain indexed columns), then on words
    (the full-text index)."""
    groups = {
        ENTITY_FIELDS[kind]: [entity.pk for entity in analysis.entities(kind)]
        for kind in (CARRIER, TASK, COUNTRY)
        if analysis.entities(kind)
    }
    tiers: list[tuple[str, object]] = []
    if groups:
        tiers.append(("entities", groups))
        if len(groups) > 1:
            # Then each named entity alone, the weightiest first (carrier, task, country).
            tiers.extend(("entities", {field: pks}) for field, pks in groups.items())
    if analysis.word_terms and not analysis.mentions:
        tiers.append(("all_words", [[term] for term in analysis.word_terms]))
    if selective:
        tiers.append(("any_word", [selective]))
    return tiers


def _newest(filters: dict, limit: int) -> list[int]:
    rows = SearchDocument.objects.filter(**filters).order_by("-guide_id")
    return list(rows.values_list("guide_id", flat=True)[:limit])


def search(
    query: str, *, language: str | None = None, using: str = "default", limit: int = MAX_RESULTS
) -> SearchResult:
    language = content_language(language or get_language() or "zh-hans")
    version = caching.content_version()
    lexicon = get_lexicon(using)
    backend = get_backend(using)
    analysis = analyze(query, lexicon, backend.known_terms)
    result = SearchResult(analysis=analysis, lexicon=lexicon)
    if analysis.empty:
        return result

    selective = _selective_terms(analysis, backend, using, version)
    found: dict[int, None] = {}
    all_words: set[int] = set()
    with backend.retrieval():
        for name, condition in _tiers(analysis, selective):
            if name == "entities":
                ids = _newest(condition, TIER_LIMIT)
            else:
                ids = backend.match(condition, TIER_LIMIT)
            found.update(dict.fromkeys(ids))
            if name == "all_words":
                all_words.update(ids)
            if len(found) >= ENOUGH:
                break

    carriers = analysis.weights(CARRIER)
    tasks = analysis.weights(TASK)
    countries = analysis.weights(COUNTRY)
    for pk in carriers:
        entity = lexicon.get(CARRIER, pk)
        if entity and entity.country_pk and entity.country_pk not in countries:
            countries[entity.country_pk] = IMPLIED_COUNTRY

    documents = _document_count(backend, using, version)
    shares = _frequencies(backend, using, version, analysis.text_terms)
    # A country's name is scored once, as the country: as words it would also lift every guide
    # that merely mentions the country ("转到其他英国运营商") over the one the rest asks for.
    named_countries = {
        term
        for mention in analysis.mentions
        if mention.entity.kind == COUNTRY
        for term in terms(analysis.normalized[mention.start : mention.end])
    }
    weights = {
        term: idf(shares[term], documents) for term in selective if term not in named_countries
    }
    candidates = sorted(highlight_candidates(analysis))
    result.common = {
        term
        for term, share in _frequencies(backend, using, version, candidates).items()
        if share > HIGHLIGHT_MAX_SHARE and share * documents > HIGHLIGHT_MIN_GUIDES
    }
    rows = (
        Guide.objects.published()
        .filter(pk__in=list(found))
        .order_by()
        .values_list(
            "pk",
            "carrier_id",
            "country_id",
            "task_id",
            "language",
            "search_document__title_terms",
            "search_document__summary_terms",
        )
    )
    hits = []
    for pk, carrier_id, country_id, task_id, guide_language, title, summary in rows:
        hit = Hit(pk, carrier_id, country_id, task_id, guide_language)
        hit.text = WEIGHT_IN_TITLE * _matched(weights, title)
        hit.text += WEIGHT_IN_SUMMARY * _matched(weights, summary)
        hit.score = (
            WEIGHT_CARRIER * carriers.get(carrier_id, 0.0)
            + WEIGHT_TASK * tasks.get(task_id, 0.0)
            + WEIGHT_COUNTRY * countries.get(country_id, 0.0)
            + (WEIGHT_ALL_WORDS if pk in all_words else 0.0)
        )
        if carrier_id is None and not carriers:
            # A country named without a carrier: the guide for the whole country comes first.
            hit.score += WEIGHT_COUNTRYWIDE * countries.get(country_id, 0.0)
        hits.append(hit)
    _add_text_scores(hits, weights, language)
    result.hits = hits[:limit]
    if not result.hits:
        near = analysis.entities() + lexicon.near(analysis.normalized)
        result.near = list(dict.fromkeys(near))[:6]
    return result


# --- Facets --------------------------------------------------------------------------------------
FACETS = (CARRIER, COUNTRY, TASK, "language")


def _facet_value(hit: Hit, kind: str):
    return {
        CARRIER: hit.carrier_id,
        COUNTRY: hit.country_id,
        TASK: hit.task_id,
        "language": hit.language,
    }[kind]


def filter_hits(hits: list[Hit], selected: dict[str, object]) -> list[Hit]:
    return [
        hit
        for hit in hits
        if all(_facet_value(hit, kind) == value for kind, value in selected.items())
    ]


def facet_counts(hits: list[Hit], kind: str) -> list[tuple[object, int]]:
    counts = Counter(_facet_value(hit, kind) for hit in hits)
    return [(value, count) for value, count in counts.most_common() if value is not None]
