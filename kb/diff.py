"""Character-level diffs for editors: Chinese has no spaces, so a word diff is useless."""

from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def char_diff_html(old: str, new: str) -> SafeString:
    """``old`` -> ``new`` as escaped HTML with <del> and <ins> around what changed."""
    old, new = old or "", new or ""
    parts = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape(old[a1:a2]))
            continue
        if a2 > a1:
            parts.append(f'<del class="diff-del">{escape(old[a1:a2])}</del>')
        if b2 > b1:
            parts.append(f'<ins class="diff-ins">{escape(new[b1:b2])}</ins>')
    return mark_safe("".join(parts))  # every piece of text above is escaped


def has_changes(old: str, new: str) -> bool:
    return (old or "") != (new or "")
