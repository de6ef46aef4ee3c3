"""Carriers, tasks and countries as readers name them, read from the catalogue in the database.

Every name, alias and synonym is normalized and run together unit by unit (``tokens.compact``),
so ``T-Mobile``, ``t mobile``, ``TMOBILE`` and ``Ｔ－Ｍｏｂｉｌｅ`` are one form. A query is scanned for
these forms at unit boundaries (so ``tim`` never matches inside ``time``), longest first; Latin
words that match nothing and that no guide contains are compared with the Latin forms by edit
distance (``Tmobil``, ``giffgaf``, ``verizn``). The lexicon is built once per catalogue version
(``kb.caching.catalogue_version()``, moved by every catalogue edit) and shared through the cache.
"""

import threading
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from kb import caching
from kb.search.normalize import normalize
from kb.search.tokens import Unit, compact, stem, units

CARRIER, TASK, COUNTRY = "carrier", "task", "country"
FUZZY_MIN_LENGTH = 5
REGIONAL_MIN_LATIN = 4
KINDS = (CARRIER, TASK, COUNTRY)


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    pk: int
    slug: str
    name_zh: str
    name_en: str
    country_pk: int | None = None
    names: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def label(self, language: str | None = None) -> str:
        if self.kind == CARRIER:
            return self.name_en
        english = (language or "").startswith("en")
        return (self.name_en if english else self.name_zh) or self.name_zh or self.name_en


@dataclass(frozen=True, slots=True)
class Mention:
    """Where a query names an entity: the units it covers and how sure the match is."""

    entity: Entity
    first: int
    last: int
    start: int
    end: int
    fuzzy: bool = False
    written: str = ""


@dataclass
class Lexicon:
    entities: dict[tuple[str, int], Entity] = field(default_factory=dict)
    forms: dict[str, dict[str, list[Entity]]] = field(default_factory=dict)
    latin_forms: dict[str, list[tuple[Entity, str]]] = field(default_factory=dict)
    by_slug: dict[tuple[str, str], Entity] = field(default_factory=dict)
    _by_letter: dict | None = field(default=None, repr=False)
    _by_country: dict | None = field(default=None, repr=False)

    def add(self, entity: Entity, names) -> None:
        self.entities[(entity.kind, entity.pk)] = entity
        self.by_slug[(entity.kind, entity.slug)] = entity
        for name in names:
            form = compact(normalize(name or ""))
            if not form:
                continue
            bucket = self.forms.setdefault(form[:2], {}).setdefault(form, [])
            if entity not in bucket:
                bucket.append(entity)
            raw = "".join(u.text for u in units(normalize(name)))
            if raw.isascii() and raw.isalnum() and len(raw) >= FUZZY_MIN_LENGTH:
                latin = self.latin_forms.setdefault(raw, [])
                if all(entity != known for known, _ in latin):
                    latin.append((entity, name.strip()))

    def _fuzzy_choices(self, word: str, limit: int) -> list[str]:
        """Latin forms that could be within ``limit`` edits of ``word``: same first or second
        letter, length within ``limit`` (a few dozen even with thousands of carriers)."""
        if self._by_letter is None:
            by_letter: dict[tuple[int, str, int], list[str]] = {}
            for form in self.latin_forms:
                by_letter.setdefault((0, form[0], len(form)), []).append(form)
                by_letter.setdefault((1, form[1], len(form)), []).append(form)
            self._by_letter = by_letter
        found: dict[str, None] = {}
        for size in range(len(word) - limit, len(word) + limit + 1):
            for position in (0, 1):
                found.update(
                    dict.fromkeys(self._by_letter.get((position, word[position], size), ()))
                )
        return list(found)

    def regional(self, carrier: Entity, country_pk: int) -> list[Entity]:
        """The carriers of ``country_pk`` whose own names hold one of ``carrier``'s: "China
        Mobile" named together with "Hong Kong" is China Mobile Hong Kong (中国移动香港)."""
        if self._by_country is None:
            by_country: dict[int | None, list[Entity]] = {}
            for entity in self.of_kind(CARRIER):
                by_country.setdefault(entity.country_pk, []).append(entity)
            self._by_country = by_country
        names = {
            form
            for form in (compact(normalize(name or "")) for name in carrier.names)
            if len(form) >= (REGIONAL_MIN_LATIN if form.isascii() else 2)
        }
        return [
            other
            for other in self._by_country.get(country_pk, ())
            if other != carrier
            and any(
                name in form and name != form
                for form in (compact(normalize(n or "")) for n in other.names)
                for name in names
            )
        ]

    def of_kind(self, kind: str) -> list[Entity]:
        return [entity for (k, _), entity in self.entities.items() if k == kind]

    def get(self, kind: str, pk) -> Entity | None:
        return self.entities.get((kind, pk))

    # --- Scanning a query -------------------------------------------------------------------
    def mentions(self, query_units: list[Unit]) -> list[Mention]:
        """Exact mentions, longest first, never two over the same unit."""
        keys = [unit.key for unit in query_units]
        offsets = [0]
        for key in keys:
            offsets.append(offsets[-1] + len(key))
        text = "".join(keys)
        boundary = {offset: index for index, offset in enumerate(offsets)}
        found: list[tuple[int, int, Entity]] = []
        for first in range(len(keys)):
            at = offsets[first]
            for prefix in {text[at : at + 1], text[at : at + 2]}:
                for form, entities in self.forms.get(prefix, {}).items():
                    if text.startswith(form, at) and (at + len(form)) in boundary:
                        last = boundary[at + len(form)] - 1
                        found.extend((first, last, entity) for entity in entities)
        found.sort(key=lambda item: (item[0] - item[1], item[0], KINDS.index(item[2].kind)))
        taken: set[int] = set()
        chosen: list[Mention] = []
        span_owner: dict[tuple[int, int], set[int]] = {}
        for first, last, entity in found:
            span = set(range(first, last + 1))
            if span & taken and span_owner.get((first, last)) != span:
                continue
            span_owner[(first, last)] = span
            taken |= span
            chosen.append(
                Mention(entity, first, last, query_units[first].start, query_units[last].end)
            )
        return chosen

    def fuzzy_mentions(
        self, query_units: list[Unit], taken: set[int], known_terms=None
    ) -> list[Mention]:
        """Latin words (or two run together) within a small edit distance of a Latin form."""
        if not self.latin_forms:
            return []
        candidates: list[tuple[int, int, str]] = []
        for i, unit in enumerate(query_units):
            if unit.cjk or i in taken:
                continue
            candidates.append((i, i, unit.text))
            if i + 1 < len(query_units):
                nxt = query_units[i + 1]
                if not nxt.cjk and i + 1 not in taken:
                    candidates.append((i, i + 1, unit.text + nxt.text))
        candidates = [
            c for c in candidates if FUZZY_MIN_LENGTH <= len(c[2]) <= 40 and c[2].isascii()
        ]
        if not candidates:
            return []
        known = known_terms([stem(c[2]) for c in candidates]) if known_terms else set()
        results: list[Mention] = []
        used: set[int] = set()
        for first, last, word in sorted(candidates, key=lambda c: c[0] - c[1]):
            if stem(word) in known or used & {first, last}:
                continue
            limit = 2 if len(word) >= 8 else 1
            choices = self._fuzzy_choices(word, limit)
            best = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=limit)
            if best is None:
                continue
            form, distance, _ = best
            if len(word) <= 5 and form[0] != word[0]:
                continue
            for entity, written in self.latin_forms[form]:
                results.append(
                    Mention(
                        entity,
                        first,
                        last,
                        query_units[first].start,
                        query_units[last].end,
                        fuzzy=True,
                        written=entity.name_en if entity.kind == CARRIER else written,
                    )
                )
            used |= {first, last}
        return results

    def near(self, text: str, limit: int = 5) -> list[Entity]:
        """Entities whose names look like part of ``text``: for the page that found nothing."""
        query = compact(normalize(text))
        if len(query) < 2:
            return []
        candidates: dict[str, list[Entity]] = {}
        for i in range(len(query)):
            for prefix in (query[i : i + 1], query[i : i + 2]):
                candidates.update(self.forms.get(prefix, {}))
        for unit in units(normalize(text)):
            word = unit.text
            if not unit.cjk and len(word) >= 4 and word.isascii():
                for form in self._fuzzy_choices(word, 2):
                    candidates[form] = [entity for entity, _ in self.latin_forms[form]]
        out: list[Entity] = []
        matches = process.extract(
            query,
            [form for form in candidates if len(form) >= 2],
            scorer=fuzz.partial_ratio,
            limit=limit * 4,
            score_cutoff=75,
        )
        for form, _, _ in matches:
            for entity in candidates[form]:
                if entity not in out:
                    out.append(entity)
        return out[:limit]


def squash(text: str) -> str:
    """A name without case, width, script variant or separators: ``T-Mobile`` -> ``tmobile``."""
    return "".join(unit.text for unit in units(normalize(text or "")))


def split_aliases(*, names, aliases) -> tuple[list[str], list[str]]:
    """Aliases as (real names to show, spellings kept for search only).

    Search-only: a name again in another case, width, script or spacing (``TMobile``,
    ``中國移動香港``), an obfuscation (``T~M``), and a Latin spelling one or two edits from a
    name (``Tmoble``, ``Verison``).
    """
    shown = [key for key in (squash(name) for name in names) if key]
    public: list[str] = []
    search_only: list[str] = []
    for alias in aliases:
        alias = (alias or "").strip()
        key = squash(alias)
        if not key:
            continue
        near = any(
            key.isascii()
            and known.isascii()
            and len(key) >= FUZZY_MIN_LENGTH
            and abs(len(key) - len(known)) <= 1
            and OSA.distance(key, known) <= 2
            for known in shown
        )
        if key in shown or near or any(char in alias for char in "~～*＊"):
            search_only.append(alias)
        else:
            public.append(alias)
            shown.append(key)
    return public, search_only


def catalogue_names():
    """Every catalogue entry with the names it goes by: ``(kind, obj, names)``.

    The one list of names that search (``build_lexicon``) and the importer
    (``kb.importing.detection``) recognise.
    """
    from kb.models import Carrier, Country, Task

    for country in Country.objects.all():
        yield COUNTRY, country, (country.name_zh, country.name_en, *country.alias_list)
    for task in Task.objects.all():
        yield TASK, task, (task.name_zh, task.name_en, *task.synonym_list)
    for carrier in Carrier.objects.select_related("country"):
        names = (carrier.name, carrier.name_zh, *carrier.alias_list, *carrier.search_alias_list)
        yield CARRIER, carrier, names


def _entity(kind: str, obj, names) -> Entity:
    if kind == CARRIER:
        return Entity(
            CARRIER, obj.pk, obj.slug, obj.name_zh, obj.name, obj.country_id, names=tuple(names)
        )
    return Entity(kind, obj.pk, obj.slug, obj.name_zh, obj.name_en, names=tuple(names))


def build_lexicon() -> Lexicon:
    lexicon = Lexicon()
    for kind, obj, names in catalogue_names():
        lexicon.add(_entity(kind, obj, names), (*names, obj.slug) if kind == CARRIER else names)
    return lexicon


_lock = threading.Lock()
_cached: dict[str, tuple[int, Lexicon]] = {}
SHARED_SECONDS = 7 * 24 * 3600


def get_lexicon(using: str = "default", version: int | None = None) -> Lexicon:
    """The lexicon of the catalogue as it is now: kept per process while the catalogue version
    (``kb.caching.catalogue_version``, moved by every catalogue edit, not by publishing a
    guide) stays the same, and shared through the cache, so that one process builds it and the
    others (and gunicorn's master, before it forks the workers) load it. Search and the
    importer both get it here."""
    version = caching.catalogue_version() if version is None else version
    hit = _cached.get(using)
    if hit is not None and hit[0] == version:
        return hit[1]
    with _lock:
        hit = _cached.get(using)
        if hit is not None and hit[0] == version:
            return hit[1]
        lexicon = _shared_lexicon(using, version)
        _cached[using] = (version, lexicon)
    return lexicon


def _shared_lexicon(using: str, version: int) -> Lexicon:
    from django.core.cache import cache

    key = f"kb:lexicon:{using}:{version}"
    try:
        lexicon = cache.get(key)
    except Exception:  # the cache is down: build it here
        lexicon = None
    if not isinstance(lexicon, Lexicon):
        lexicon = build_lexicon()
        lexicon._fuzzy_choices("warm", 1)  # built before it is stored, not in every process
        try:
            cache.set(key, lexicon, timeout=SHARED_SECONDS)
        except Exception:
            pass
    return lexicon
