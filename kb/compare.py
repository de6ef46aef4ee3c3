"""Two versions of a guide side by side, as the review screen and the revisions page show them.

The versions are snapshots (``kb/services/snapshots.py``): plain data without row ids, so steps,
problems and sources are paired by content. Identical items pair first; the rest pair by text
similarity (``difflib.SequenceMatcher``), best pairs first. A pair whose text differs is
*changed*; pairs that keep their relative order (the longest run in order) stay in place and the
others are *moved*, so one step inserted at the top does not mark every later step as moved.
Items left without a partner are *added* (proposed only) or *removed* (live only).
"""

from bisect import bisect_left
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.translation import gettext as _

from kb.diff import char_diff_sides
from kb.models import Carrier, Country, Guide, PlanType, Problem, Source, Step, Task
from kb.models.guides import Language
from kb.services.snapshots import GUIDE_FIELDS, PROBLEM_FIELDS, SOURCE_FIELDS, STEP_FIELDS

UNCHANGED, CHANGED, MOVED, ADDED, REMOVED = "unchanged", "changed", "moved", "added", "removed"

# The guide's own fields (every field a snapshot holds) in the order its change form shows them;
# ``*_id`` fields are shown by the name of what they point to. A field added to the snapshot and
# not named here is still shown, after these.
DISPLAY_ORDER = (
    "title",
    "slug",
    "carrier_id",
    "country_id",
    "task_id",
    "plan_type",
    "language",
    "translation_of_id",
)
FIELDS = tuple(
    sorted(
        GUIDE_FIELDS,
        key=lambda name: (
            DISPLAY_ORDER.index(name) if name in DISPLAY_ORDER else len(DISPLAY_ORDER),
            GUIDE_FIELDS.index(name),
        ),
    )
)
# Below this similarity, a live and a proposed item are one removed and one added, not a change.
MATCH_THRESHOLD = 0.5
# Similarity is judged on at most this many characters of each item, and beyond this many
# comparisons only between items at most MATCH_WINDOW places apart.
MATCH_CHARS = 2_000
MAX_COMPARISONS = 2_500
MATCH_WINDOW = 10


@dataclass(frozen=True)
class Match:
    """One row of a list comparison: indexes into the live and proposed lists (None when the
    item is only on one side)."""

    old: int | None
    new: int | None
    changed: bool = False
    moved: bool = False

    @property
    def status(self) -> str:
        if self.old is None:
            return ADDED
        if self.new is None:
            return REMOVED
        if self.moved:
            return MOVED
        return CHANGED if self.changed else UNCHANGED


def _key(item: dict, fields) -> tuple:
    return (tuple(str(item.get(name) or "") for name in fields), repr(item.get("images", [])))


def _text(item: dict, fields) -> str:
    return "\n".join(str(item.get(name) or "") for name in fields)[:MATCH_CHARS]


def _in_order(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by proposed index) whose live indexes also rise."""
    tails, tail_at, back = [], [], {}
    for pair in pairs:
        at = bisect_left(tails, pair[0])
        back[pair] = tail_at[at - 1] if at else None
        if at == len(tails):
            tails.append(pair[0])
            tail_at.append(pair)
        else:
            tails[at], tail_at[at] = pair[0], pair
    kept, pair = set(), tail_at[-1] if tail_at else None
    while pair is not None:
        kept.add(pair)
        pair = back[pair]
    return kept


def match_items(old: list[dict], new: list[dict], fields) -> list[Match]:
    """Pair the items of two versions of a list; the rows come in the proposed order, each
    removed item after the row of the live item it followed."""
    pairs: dict[int, int] = {}  # proposed index -> live index
    unused: dict[tuple, list[int]] = {}
    for index, item in enumerate(old):
        unused.setdefault(_key(item, fields), []).append(index)
    for index, item in enumerate(new):
        same = unused.get(_key(item, fields))
        if same:
            pairs[index] = same.pop(0)
    paired = set(pairs.values())
    left = [i for i in range(len(old)) if i not in paired]
    right = [j for j in range(len(new)) if j not in pairs]
    # A long list rewritten throughout: only items near their old place are compared.
    window = len(old) + len(new) if len(left) * len(right) <= MAX_COMPARISONS else MATCH_WINDOW
    candidates = []
    for i in left:
        a = _text(old[i], fields)
        for j in right:
            if abs(i - j) > window:
                continue
            matcher = SequenceMatcher(None, a, _text(new[j], fields))
            if (
                matcher.real_quick_ratio() < MATCH_THRESHOLD
                or matcher.quick_ratio() < MATCH_THRESHOLD
            ):
                continue
            ratio = matcher.ratio()
            if ratio >= MATCH_THRESHOLD:
                candidates.append((-ratio, abs(i - j), j, i))
    for _ratio, _distance, j, i in sorted(candidates):
        if i not in paired and j not in pairs:
            pairs[j] = i
            paired.add(i)
    kept = _in_order(sorted(((i, j) for j, i in pairs.items()), key=lambda pair: pair[1]))
    rows: list[tuple[tuple, Match]] = []
    for j in range(len(new)):
        i = pairs.get(j)
        if i is None:
            rows.append(((j, 0, 0), Match(None, j)))
        else:
            changed = _key(old[i], fields) != _key(new[j], fields)
            rows.append(((j, 0, 0), Match(i, j, changed=changed, moved=(i, j) not in kept)))
    new_of = {i: j for j, i in pairs.items()}
    for i in range(len(old)):
        if i in new_of:
            continue
        after = next((new_of[k] for k in range(i - 1, -1, -1) if new_of.get(k) is not None), -1)
        rows.append(((after, 1, i), Match(i, None)))
    return [match for _order, match in sorted(rows, key=lambda row: row[0])]


# --- what the template shows ----------------------------------------------------------------
def _sides(before: str, after: str, *, has_old: bool = True) -> dict:
    if not has_old:
        return {"old": "", "new": escape(after), "changed": bool(after)}
    if before == after:
        return {"old": escape(before), "new": escape(after), "changed": False}
    old_html, new_html = char_diff_sides(before, after)
    return {"old": old_html, "new": new_html, "changed": True}


def _pictures(item: dict) -> str:
    return "\n".join(
        " · ".join(part for part in (image.get("alt"), image.get("caption")) if part)
        or str(image.get("asset", ""))
        for image in item.get("images", [])
    )


def _item_fields(model, fields, a: dict | None, b: dict | None) -> list[dict]:
    rows = []
    for name in fields:
        before = str(a.get(name) or "") if a else ""
        after = str(b.get(name) or "") if b else ""
        if before or after:
            row = _sides(before, after) if a and b else _one_side(before, after)
            rows.append({"label": model._meta.get_field(name).verbose_name, **row})
    before, after = _pictures(a or {}), _pictures(b or {})
    if before or after:
        row = _sides(before, after) if a and b else _one_side(before, after)
        rows.append({"label": _("pictures"), **row})
    return rows


def _one_side(before: str, after: str) -> dict:
    return {"old": escape(before), "new": escape(after), "changed": True}


def _list(model, fields, title_field, old: list[dict], new: list[dict]) -> list[dict]:
    rows = []
    for match in match_items(old, new, fields):
        a = old[match.old] if match.old is not None else None
        b = new[match.new] if match.new is not None else None
        rows.append(
            {
                "status": match.status,
                "changed": match.changed,
                "moved": match.moved,
                "old_position": None if match.old is None else match.old + 1,
                "new_position": None if match.new is None else match.new + 1,
                "title": (b or a).get(title_field) or "",
                "fields": _item_fields(model, fields, a, b),
            }
        )
    return rows


def _names(versions: list[dict]) -> dict:
    """The names behind the ``*_id`` fields of the versions: four small queries at most."""
    ids = {
        name: {v["guide"].get(name) for v in versions if v["guide"].get(name)}
        for name in ("carrier_id", "country_id", "task_id", "translation_of_id")
    }
    models = {
        "carrier_id": Carrier,
        "country_id": Country,
        "task_id": Task,
        "translation_of_id": Guide,
    }
    return {
        name: {obj.pk: str(obj) for obj in models[name].objects.filter(pk__in=ids[name])}
        for name in models
        if ids[name]
    }


def _display(name: str, value, names: dict) -> str:
    if value in (None, ""):
        return ""
    if name in names or name.endswith("_id"):
        return names.get(name, {}).get(value, f"#{value}")
    if name == "irreversible":
        return _("Yes") if value else _("No")
    if name == "plan_type":
        return str(PlanType(value).label) if value in PlanType.values else str(value)
    if name == "language":
        return str(Language(value).label) if value in Language.values else str(value)
    return str(value)


def compare_versions(old: dict | None, new: dict) -> dict:
    """The live version ``old`` (None before the first publication: everything is added) and
    the proposed ``new``, field by field and item by item, with character-level diffs."""
    names = _names([v for v in (old, new) if v])
    fields = []
    for name in FIELDS:
        field = Guide._meta.get_field(name.removesuffix("_id"))
        before = _display(name, old["guide"].get(name), names) if old else ""
        after = _display(name, new["guide"].get(name), names)
        if old is None and not after:
            continue
        row = _sides(before, after, has_old=old is not None)
        fields.append({"label": field.verbose_name, "name": field.name, **row})
    empty = {"steps": [], "problems": [], "sources": []}
    old = old or {"guide": {}, **empty}
    steps = _list(Step, STEP_FIELDS, "title", old.get("steps", []), new.get("steps", []))
    problems = _list(
        Problem, PROBLEM_FIELDS, "symptom", old.get("problems", []), new.get("problems", [])
    )
    sources = _list(Source, SOURCE_FIELDS, "title", old.get("sources", []), new.get("sources", []))
    changed_fields = [f for f in fields if f["changed"]]
    return {
        "fields": changed_fields,
        "unchanged_fields": [f for f in fields if not f["changed"]],
        "steps": steps,
        "problems": problems,
        "sources": sources,
        "unchanged": not changed_fields
        and all(row["status"] == UNCHANGED for row in steps + problems + sources),
    }
