"""Which carrier, country and task an article is about, from the catalogue's own names.

Names are matched tolerantly: separators inside a name may vary or be missing (T-Mobile,
T Mobile, TMobile, T~M), full-width and Traditional characters are folded, and an unknown
spelling close to a long carrier or country name (Tmobil, Verizn) still counts, marked as a
guess. A name in the title outweighs the body. When two candidates are about as strong, nothing
is chosen and the report says why: an empty field is better than a wrong one.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import zhconv
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from kb.models import Carrier, Country, Task
from kb.search.lexicon import CARRIER, COUNTRY, TASK, catalogue_names

SEPARATORS = r"[\s\-~～_.·・'’&＆+*/]{0,3}"
FUZZY_MIN_LENGTH = 6
FUZZY_MIN_RATIO = 85
TITLE_WEIGHT = 5
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[\-~_.·'’&+][A-Za-z0-9]+)*")
_CHUNK = re.compile(r"[A-Za-z0-9]+|[\u3400-\u9fff]+")
_ENGLISH_SUFFIX = r"(?:s|es|ed|d|ing|ling|led|lation|ation|ations)?"


def fold(text: str) -> str:
    """Full-width to half-width and Traditional to Simplified, keeping case."""
    return zhconv.convert(unicodedata.normalize("NFKC", text or ""), "zh-cn")


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z\u3400-\u9fff]", "", fold(text).lower())


@dataclass
class _Entry:
    obj: object
    label: str
    patterns: list[re.Pattern] = field(default_factory=list)
    fuzzy_keys: set[str] = field(default_factory=set)


def _pattern(name: str, *, english_forms: bool = False) -> re.Pattern | None:
    name = fold(name).strip()
    chunks = _CHUNK.findall(name)
    if not chunks:
        return None
    body = SEPARATORS.join(re.escape(chunk) for chunk in chunks)
    starts_ascii = chunks[0][0].isascii() and chunks[0][0].isalnum()
    ends_ascii = chunks[-1][-1].isascii() and chunks[-1][-1].isalnum()
    if english_forms and ends_ascii and chunks[-1].isalpha():
        body += _ENGLISH_SUFFIX
    pattern = ("(?<![A-Za-z0-9])" if starts_ascii else "") + body
    pattern += "(?![A-Za-z0-9])" if ends_ascii else ""
    squashed = _squash(name)
    short_with_capitals = len(squashed) <= 5 and any(c.isupper() for c in name)
    return re.compile(pattern, 0 if short_with_capitals else re.IGNORECASE)


def _entry(obj, label: str, names: list[str], *, fuzzy: bool, english_forms: bool = False):
    entry = _Entry(obj=obj, label=label)
    for name in dict.fromkeys(n for n in names if n and n.strip()):
        pattern = _pattern(name, english_forms=english_forms)
        if pattern is not None:
            entry.patterns.append(pattern)
        squashed = _squash(name)
        if fuzzy and squashed.isascii() and len(squashed) >= FUZZY_MIN_LENGTH:
            entry.fuzzy_keys.add(squashed)
    return entry


@dataclass
class Catalogue:
    carriers: list[_Entry]
    countries: list[_Entry]
    tasks: list[_Entry]

    @classmethod
    def load(cls) -> "Catalogue":
        """The catalogue's entries with the names search knows them by (one list of names)."""
        entries: dict[str, list[_Entry]] = {CARRIER: [], COUNTRY: [], TASK: []}
        for kind, obj, names in catalogue_names():
            label = {CARRIER: "name", COUNTRY: "name_en", TASK: "slug"}[kind]
            entries[kind].append(
                _entry(
                    obj,
                    getattr(obj, label),
                    list(names),
                    fuzzy=kind != TASK,
                    english_forms=kind == TASK,
                )
            )
        return cls(carriers=entries[CARRIER], countries=entries[COUNTRY], tasks=entries[TASK])


@dataclass
class _Hits:
    title: float = 0
    body: float = 0
    guessed_from: set[str] = field(default_factory=set)
    exact: bool = False
    first: int = 10**9

    @property
    def score(self) -> float:
        return self.title * TITLE_WEIGHT + self.body


def _count(entries: list[_Entry], title: str, body: str) -> dict[int, _Hits]:
    hits: dict[int, _Hits] = defaultdict(_Hits)
    known = {key for entry in entries for key in entry.fuzzy_keys}
    for part, text, offset in (("title", title, 0), ("body", body, len(title) + 1)):
        for n, entry in enumerate(entries):
            spans = set()
            for pattern in entry.patterns:
                for match in pattern.finditer(text):
                    if not any(
                        s <= match.start() < e or match.start() <= s < match.end() for s, e in spans
                    ):
                        spans.add((match.start(), match.end()))
            if spans:
                setattr(hits[n], part, getattr(hits[n], part) + len(spans))
                hits[n].exact = True
                hits[n].first = min(hits[n].first, offset + min(s for s, _e in spans))
        for match in _ASCII_TOKEN.finditer(text):
            token = match.group(0)
            squashed = _squash(token)
            if len(squashed) < FUZZY_MIN_LENGTH - 1 or squashed in known:
                continue
            for n, entry in enumerate(entries):
                if any(_close(squashed, key) for key in entry.fuzzy_keys):
                    setattr(hits[n], part, getattr(hits[n], part) + 0.5)
                    hits[n].guessed_from.add(token)
                    hits[n].first = min(hits[n].first, offset + match.start())
    return hits


def _close(token: str, key: str) -> bool:
    return (
        token[0] == key[0]
        and abs(len(token) - len(key)) <= 2
        and fuzz.ratio(token, key) >= FUZZY_MIN_RATIO
    )


@dataclass
class _Choice:
    entry: _Entry | None = None
    ranked: list[tuple[_Entry, float]] = field(default_factory=list)
    guessed_from: set[str] = field(default_factory=set)

    @property
    def candidates(self) -> list[_Entry]:
        return [entry for entry, _score in self.ranked]

    @property
    def leaders(self) -> list[_Entry]:
        """The candidates named at least twice and at least half as strong as the strongest."""
        top = self.ranked[0][1] if self.ranked else 0
        return [entry for entry, score in self.ranked if score >= 2 and score * 2 >= top]

    @property
    def unsure(self) -> bool:
        return self.entry is None and bool(self.ranked)


def _choose(entries: list[_Entry], title: str, body: str) -> _Choice:
    hits = _count(entries, fold(title), fold(body))
    ranked = sorted(hits.items(), key=lambda item: (-item[1].score, item[1].first))
    choice = _Choice(ranked=[(entries[n], h.score) for n, h in ranked])
    if not ranked:
        return choice
    in_title = [(n, h) for n, h in ranked if h.title]
    if len(in_title) == 1:
        winner = in_title[0]
    elif in_title:
        first, second = in_title[0][1], in_title[1][1]
        winner = in_title[0] if first.score >= 2 * second.score else None
    else:
        first = ranked[0][1]
        second = ranked[1][1].score if len(ranked) > 1 else 0
        winner = ranked[0] if first.score >= 2 and first.score >= 2 * second else None
    if winner is not None:
        n, h = winner
        choice.entry = entries[n]
        choice.guessed_from = set() if h.exact else h.guessed_from
    return choice


@dataclass
class Detection:
    carrier: Carrier | None = None
    country: Country | None = None
    task: Task | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def _names(entries: list[_Entry], limit: int = 3) -> str:
    return ", ".join(entry.label for entry in entries[:limit])


def detect(catalogue: Catalogue, title: str, body: str) -> Detection:
    result = Detection()
    carriers = _choose(catalogue.carriers, title, body)
    countries = _choose(catalogue.countries, title, body)
    tasks = _choose(catalogue.tasks, title, body)

    carrier_entry = carriers.entry
    if carrier_entry is None and carriers.unsure and countries.entry is not None:
        in_country = [e for e in carriers.leaders if e.obj.country_id == countries.entry.obj.pk]
        if len(in_country) == 1:
            carrier_entry = in_country[0]

    if carrier_entry is not None:
        result.carrier = carrier_entry.obj
        result.country = result.carrier.country
        if carriers.guessed_from:
            result.warnings.append(
                _("Carrier %(carrier)s recognised from the spelling “%(spelling)s”; check it.")
                % {
                    "carrier": result.carrier.name,
                    "spelling": "”, “".join(sorted(carriers.guessed_from)),
                }
            )
    elif carriers.unsure:
        result.warnings.append(
            _("Carrier left empty: the text names %(names)s without one clearly ahead.")
            % {"names": _names(carriers.candidates)}
        )

    if result.country is None:
        carrier_countries = {entry.obj.country_id for entry in carriers.candidates}
        named_countries = {entry.obj.pk for entry in countries.candidates}
        if countries.entry is not None:
            result.country = countries.entry.obj
        elif len(carrier_countries) == 1 and named_countries <= carrier_countries:
            result.country = carriers.candidates[0].obj.country
        elif countries.unsure:
            result.warnings.append(
                _("Country unclear: the text names %(names)s without one clearly ahead.")
                % {"names": _names(countries.candidates)}
            )

    if tasks.entry is not None:
        result.task = tasks.entry.obj

    if result.country is None:
        result.error = (
            _("No country found: the text names no carrier or country from the catalogue.")
            if not (countries.candidates or carriers.candidates)
            else _("No country chosen: the text names %(names)s about equally.")
            % {"names": _names(countries.candidates or carriers.candidates)}
        )
    elif result.task is None:
        result.error = (
            _("No task chosen: the text fits %(names)s about equally.")
            % {"names": _names(tasks.candidates)}
            if tasks.candidates
            else _(
                "No task found: the title and text use no task name or synonym from the catalogue."
            )
        )
    return result
