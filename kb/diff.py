"""Character-level diffs for editors: Chinese has no spaces, so a word diff is useless."""

from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def char_diff_html(old: str, new: str) -> SafeString:
    """``old`` -> ``new`` as escaped HTML with <del> and <ins> around what changed."""
    parts = []
    for op, before, after in _pieces(old, new):
        if op == "=":
            parts.append(escape(before))
        elif op == "-":
            parts.append(f'<del class="diff-del">{escape(before)}</del>')
        else:
            parts.append(f'<ins class="diff-ins">{escape(after)}</ins>')
    return mark_safe("".join(parts))  # every piece of text above is escaped


def has_changes(old: str, new: str) -> bool:
    return (old or "") != (new or "")


def line_diff_html(old: str, new: str, *, context: int = 2, limit: int = 400) -> SafeString:
    """A long text's changes, line by line, with ``context`` unchanged lines around each and
    a character diff inside changed lines; at most ``limit`` lines are shown."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    rows = []
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        rows.append('<div class="diff-gap">…</div>')
        for op, a1, a2, b1, b2 in group:
            if op == "equal":
                rows.extend(f"<div>{escape(line)}</div>" for line in a[a1:a2])
            elif op == "replace" and a2 - a1 == b2 - b1:
                rows.extend(
                    f"<div>{char_diff_html(x, y)}</div>"
                    for x, y in zip(a[a1:a2], b[b1:b2], strict=True)
                )
            else:
                rows.extend(
                    f'<div><del class="diff-del">{escape(line)}</del></div>' for line in a[a1:a2]
                )
                rows.extend(
                    f'<div><ins class="diff-ins">{escape(line)}</ins></div>' for line in b[b1:b2]
                )
    if len(rows) > limit:
        rows = rows[:limit] + ['<div class="diff-gap">…</div>']
    return mark_safe("".join(rows))  # every line above is escaped or made by char_diff_html


# Above this many characters on each side, a changed block is marked whole rather than diffed
# character by character (SequenceMatcher is quadratic in the worst case).
SIDE_DIFF_LIMIT = 5_000


def _pieces(old: str, new: str):
    """``old`` -> ``new`` as ``(op, old_text, new_text)`` pieces in order: ``"="`` unchanged,
    ``"-"`` removed, ``"+"`` added. Lines are paired first, then changed lines are diffed
    character by character (Chinese has no spaces to diff words by); a changed block longer
    than SIDE_DIFF_LIMIT on either side is marked whole, so the cost stays bounded."""
    old, new = old or "", new or ""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for op, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[a1:a2]), "".join(b[b1:b2])
        if op == "equal":
            yield "=", before, after
        elif op == "replace" and len(before) <= SIDE_DIFF_LIMIT and len(after) <= SIDE_DIFF_LIMIT:
            matcher = SequenceMatcher(None, before, after, autojunk=False)
            for inner, x1, x2, y1, y2 in matcher.get_opcodes():
                if inner == "equal":
                    yield "=", before[x1:x2], after[y1:y2]
                    continue
                if x2 > x1:
                    yield "-", before[x1:x2], ""
                if y2 > y1:
                    yield "+", "", after[y1:y2]
        else:
            if before:
                yield "-", before, ""
            if after:
                yield "+", "", after


def char_diff_sides(old: str, new: str) -> tuple[SafeString, SafeString]:
    """``old`` and ``new`` as two escaped HTML texts for a side-by-side view: what was removed is
    in <del> on the old side, what was added in <ins> on the new side."""
    left, right = [], []
    for op, before, after in _pieces(old, new):
        if op == "=":
            left.append(escape(before))
            right.append(escape(after))
        elif op == "-":
            left.append(f'<del class="diff-del">{escape(before)}</del>')
        else:
            right.append(f'<ins class="diff-ins">{escape(after)}</ins>')
    # every piece of text above is escaped
    return mark_safe("".join(left)), mark_safe("".join(right))
