"""One normalization for documents and queries.

Unicode NFKC (full-width to half-width), case folding, accents off Latin letters, Traditional to
Simplified Chinese, and control characters (NUL included) turned into spaces.

The Chinese conversion uses zhconv's ``zh-cn`` table (which also turns 帳號 into 账号, where a
character table gives 帐号) with its longest-match rule, restricted to the entries that contain
a Traditional character: text already in Simplified Chinese is left exactly as it is (the full
table would turn 怎么正确 into 怎幺正确) and costs one regular-expression scan. ``fold`` does the same one character at a time and
keeps, for every output character, the index of the input character it came from: snippets use
it to highlight the reader's own text.
"""

import functools
import re
import unicodedata

import zhconv.zhconv

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\u200b-\u200f\u2060]")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_HAS_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.cache
def _traditional_table() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    table = zhconv.zhconv.getdict("zh-cn")
    singles = {key for key, value in table.items() if len(key) == 1 and key != value}
    phrases = {key: value for key, value in table.items() if any(c in singles for c in key)}
    prefixes = frozenset(key[:i] for key in phrases for i in range(1, len(key) + 1))
    return phrases, prefixes, frozenset(singles)


def to_simplified(text: str) -> str:
    table, prefixes, traditional = _traditional_table()
    if traditional.isdisjoint(text):
        return text
    out: list[str] = []
    pos, size = 0, len(text)
    while pos < size:
        end, best, best_end = pos + 1, None, pos
        while end <= size and text[pos:end] in prefixes:
            if text[pos:end] in table:
                best, best_end = table[text[pos:end]], end
            end += 1
        if best is None:
            out.append(text[pos])
            pos += 1
        else:
            out.append(best)
            pos = best_end
    return "".join(out)


def normalize(text: str) -> str:
    """The searchable form of ``text``: what both the index and the query are made from."""
    if not text:
        return ""
    text = _CONTROL.sub(" ", text)
    if not _HAS_NON_ASCII.search(text):
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFC", _COMBINING.sub("", text))
    return to_simplified(text)


@functools.lru_cache(maxsize=20000)
def _fold_char(char: str) -> str:
    return normalize(char)


def fold(text: str) -> tuple[str, list[int]]:
    """Normalize ``text`` character by character; return it with each character's source index."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text or ""):
        folded = _fold_char(char)
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), offsets
