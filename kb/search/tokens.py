"""Split normalized text into index terms, the same way for documents and queries.

Latin, Cyrillic and other alphabetic words are kept whole and stemmed (Snowball English, so
"cancelled" and "cancelling" meet "cancel"); a name written with a hyphen, tilde, ampersand or
dot also yields the joined form (``t-mobile`` -> ``t mobil tmobil``, ``at&t`` -> ``at t att``).
Chinese, Japanese and Korean runs become overlapping bigrams, a lone character a unigram (the
scheme of Lucene's CJKBigramFilter), so two-character words such as 注销 match inside longer
text. Every term is made of letters and digits only: it survives FTS5's ``unicode61`` tokenizer
and PostgreSQL's ``simple`` configuration unchanged, and can never be query syntax.
"""

import re
from dataclasses import dataclass

import snowballstemmer

CJK = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u30ff"
    "\u3100-\u312f\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
CONNECTORS = "-\u2010\u2011\u2012\u2013\u2014\u2212~&'\u2019.\u00b7/+_"
_WORD = rf"[^\W_{CJK}]+"
_PIECES = re.compile(rf"([{CJK}]+)|({_WORD}(?:[{re.escape(CONNECTORS)}]{_WORD})*)")
_ALNUM_RUN = re.compile(r"[^\W_]+")
_PARTS = re.compile(_WORD)

MAX_JOINED_PARTS = 4
MAX_TERM_LENGTH = 64

_english = snowballstemmer.stemmer("english")


_stems: dict[str, str] = {}


def stem(word: str) -> str:
    """Snowball English stem of an ASCII word (other words as they are), cached."""
    found = _stems.get(word)
    if found is None:
        found = word
        if len(word) >= 4 and word.isascii() and word.isalpha():
            found = _english.stemWord(word)
        if len(_stems) < 200_000:
            _stems[word] = found
    return found


def _cjk_runs(match: re.Match):
    """A CJK run as runs of letters only (unassigned code points in the CJK blocks split it)."""
    run = match.group(1)
    if run.isalnum():
        return [(run, match.start())]
    return [(m.group(), match.start() + m.start()) for m in _ALNUM_RUN.finditer(run)]


def term_spans(text: str) -> list[tuple[str, int, int]]:
    """Index terms of normalized ``text`` with where each stands, in order, repeats kept."""
    out: list[tuple[str, int, int]] = []
    for match in _PIECES.finditer(text):
        if match.group(1) is not None:
            for run, start in _cjk_runs(match):
                if len(run) == 1:
                    out.append((run, start, start + 1))
                else:
                    out.extend(
                        (run[i : i + 2], start + i, start + i + 2) for i in range(len(run) - 1)
                    )
            continue
        parts = list(_PARTS.finditer(text, match.start(), match.end()))
        out.extend(
            (stem(part.group()[:MAX_TERM_LENGTH]), part.start(), part.end()) for part in parts
        )
        if 1 < len(parts) <= MAX_JOINED_PARTS:
            joined = "".join(part.group() for part in parts)
            out.append((stem(joined[:MAX_TERM_LENGTH]), match.start(), match.end()))
    return out


def terms(text: str) -> list[str]:
    """Index terms of normalized ``text``, in order, repeats kept (they count as frequency).

    The same terms as ``term_spans`` without their places; this is the indexing hot path.
    """
    out: list[str] = []
    append, extend = out.append, out.extend
    for run, word in _PIECES.findall(text):
        if run:
            for part in (run,) if run.isalnum() else _ALNUM_RUN.findall(run):
                if len(part) == 1:
                    append(part)
                else:
                    extend([part[i : i + 2] for i in range(len(part) - 1)])
        elif word.isalnum():
            append(stem(word[:MAX_TERM_LENGTH]))
        else:
            parts = _PARTS.findall(word)
            extend([stem(part[:MAX_TERM_LENGTH]) for part in parts])
            if 1 < len(parts) <= MAX_JOINED_PARTS:
                append(stem("".join(parts)[:MAX_TERM_LENGTH]))
    return out


@dataclass(frozen=True, slots=True)
class Unit:
    """One Latin word part or one CJK character of a query, with its place in the text."""

    text: str
    start: int
    end: int
    cjk: bool
    joined_to_next: bool = False

    @property
    def key(self) -> str:
        return self.text if self.cjk else stem(self.text)


def units(text: str) -> list[Unit]:
    """The units of normalized ``text``: words split at connectors, CJK runs split per character."""
    out: list[Unit] = []
    for match in _PIECES.finditer(text):
        if match.group(1) is not None:
            for run, start in _cjk_runs(match):
                out.extend(Unit(char, start + i, start + i + 1, True) for i, char in enumerate(run))
            continue
        parts = list(_PARTS.finditer(text, match.start(), match.end()))
        for i, part in enumerate(parts):
            out.append(
                Unit(
                    part.group(), part.start(), part.end(), False, joined_to_next=i < len(parts) - 1
                )
            )
    return out


def compact(text: str) -> str:
    """The units of normalized ``text`` run together (stemmed): how aliases are compared."""
    return "".join(unit.key for unit in units(text))
