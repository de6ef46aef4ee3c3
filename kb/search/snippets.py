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


def highlight_terms(analysis) -> set[str]:
    """The terms to mark: the query's own, and the names of the carriers and tasks it named."""
    wanted = set(analysis.text_terms)
    for entity in analysis.entities():
        for name in entity.names:
            wanted.update(terms(normalize(name)))
    return {term for term in wanted if len(term) > 1 or _CJK_CHAR.match(term)}


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
    for text in texts:
        for match in _SENTENCE.finditer(plain(text)):
            sentence = match.group().strip()
            if not sentence:
                continue
            first = first or sentence
            spans, score = _marks(sentence, wanted)
            if score and (best is None or score > best[0]):
                best = (score, sentence, spans)
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


def _cut(text: str, start: int, width: int) -> str:
    return text[start : start + width] + ("…" if len(text) > start + width else "")
