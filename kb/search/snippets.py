"""A short passage of a guide with the reader's words marked, as plain-text segments.

The template prints each segment escaped and wraps the marked ones in ``<mark>``: no HTML is
made here. Matching uses the same normalization and terms as the index, so 註銷 in the query
marks 注销 in the guide and ``tmobile`` marks ``T-Mobile``.
"""

import re
from dataclasses import dataclass

from kb.search.normalize import fold, normalize
from kb.search.tokens import CJK, term_spans, terms

WIDTH = 160
_MARKDOWN = [
    (re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)"), r"\1"),
    (re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)"), ""),
    (re.compile(r"(\*\*|__|`+|~~)"), ""),
    (re.compile(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])"), ""),
    (re.compile(r"https?://\S+"), ""),
]
_SENTENCE = re.compile(r"[^\n。！？!?；;]+[。！？!?；;]?")
_CJK_CHAR = re.compile(f"[{CJK}]")


@dataclass(frozen=True)
class Segment:
    text: str
    mark: bool = False


def plain(text: str) -> str:
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text or "")
    return text


def highlight_candidates(analysis) -> set[str]:
    """The terms that could be marked: the query's own, and the names of what it named (without
    their one- and two-letter Latin parts: the "up" of "top up", the "t" of "T-Mobile")."""
    wanted = set(analysis.text_terms)
    for entity in analysis.entities():
        for name in entity.names:
            wanted.update(
                term for term in terms(normalize(name)) if _CJK_CHAR.match(term) or len(term) > 2
            )
    return {term for term in wanted if len(term) > 1 or _CJK_CHAR.match(term)}


def _whole_name(name: str) -> str | None:
    """The one term that covers all of a name (注销, ``tmobil`` for T-Mobile), if there is one."""
    found = terms(normalize(name))
    if len(found) == 1:
        return found[0]
    if len(found) > 2 and not any(_CJK_CHAR.match(term) for term in found):
        return found[-1]
    return None


def highlight_terms(analysis, common=frozenset()) -> set[str]:
    """The terms to mark: the candidates without the common words (held by most guides: 号码,
    线路, a country's name), which would be marked in every result and point at nothing. A
    whole name of the carrier or task the query named (T-Mobile, 注销) is always marked; when
    every word is common, all of them are."""
    wanted = highlight_candidates(analysis)
    named = {
        whole
        for entity in analysis.entities()
        if entity.kind != "country"
        for whole in map(_whole_name, entity.names)
        if whole
    }
    return (wanted - (set(common) - named)) or wanted


def _marks(sentence: str, wanted: set[str]) -> tuple[list[tuple[int, int]], int]:
    folded, offsets = fold(sentence)
    spans, distinct = [], set()
    for term, start, end in term_spans(folded):
        if term in wanted and end > start:
            spans.append((offsets[start], offsets[end - 1] + 1))
            distinct.add(term)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged, len(distinct)


def snippet(texts: list[str], wanted: set[str], width: int = WIDTH) -> list[Segment]:
    """The sentence of ``texts`` that holds most of ``wanted``, cut to ``width``, marked."""
    best: tuple[int, str, list[tuple[int, int]]] | None = None
    first = ""
    for sentence in _sentences(texts):
        first = first or sentence
        spans, score = _marks(sentence, wanted)
        if score and (best is None or score > best[0]):
            best = (score, sentence, spans)
            if score >= len(wanted):
                break  # every term: no later sentence can do better (a tie keeps the first)
    if best is None:
        return [Segment(_cut(first, 0, width))] if first else []
    _, sentence, spans = best
    start = 0
    if len(sentence) > width:
        start = max(0, min(spans[0][0] - width // 4, len(sentence) - width))
    end = min(len(sentence), start + width)
    segments: list[Segment] = []
    if start > 0:
        segments.append(Segment("…"))
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, position), min(span_end, end)
        if span_start >= span_end:
            continue
        if span_start > position:
            segments.append(Segment(sentence[position:span_start]))
        segments.append(Segment(sentence[span_start:span_end], True))
        position = span_end
    if position < end:
        segments.append(Segment(sentence[position:end]))
    if end < len(sentence):
        segments.append(Segment("…"))
    return segments


def _sentences(texts: list[str]):
    for text in texts:
        for match in _SENTENCE.finditer(plain(text)):
            sentence = match.group().strip()
            if sentence:
                yield sentence


def _cut(text: str, start: int, width: int) -> str:
    return text[start : start + width] + ("…" if len(text) > start + width else "")
