"""The editorial dashboard on the admin index.

Two kinds of entry, each registered by a decorator:

- ``@dashboard_item``: a count for the whole desk that links to the list behind it (a dict with
  ``label``, ``count`` and ``url``, or None when the user may not see it).
- ``@dashboard_section``: the user's own work (what waits for them, what came back to them), a
  ``Section`` of at most ``SECTION_ROWS`` rows with its total and a link to all of them, or None.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kb import selectors
from kb.models import Correction, Guide
from kb.services import corrections, workflow

DASHBOARD_ITEMS: list[Callable] = []
DASHBOARD_SECTIONS: list[Callable] = []
SECTION_ROWS = 10


def dashboard_item(func: Callable) -> Callable:
    DASHBOARD_ITEMS.append(func)
    return func


def dashboard_section(func: Callable) -> Callable:
    DASHBOARD_SECTIONS.append(func)
    return func


def dashboard_rows(request) -> list[dict]:
    rows = []
    for item in DASHBOARD_ITEMS:
        row = item(request)
        if row is not None:
            rows.append(row)
    return rows


@dataclass
class Section:
    key: str
    title: str
    empty: str
    queryset: QuerySet
    row: Callable  # an object of the queryset -> {"url", "title", "meta", "note"}
    see_all: str


def dashboard_sections(request) -> list[dict]:
    """The user's sections, each with its first rows and its total (counted only when the rows
    do not already show all of it)."""
    sections = []
    for func in DASHBOARD_SECTIONS:
        section = func(request)
        if section is None:
            continue
        objects = list(section.queryset[: SECTION_ROWS + 1])
        count = len(objects) if len(objects) <= SECTION_ROWS else section.queryset.count()
        sections.append(
            {
                "key": section.key,
                "title": section.title,
                "empty": section.empty,
                "count": count,
                "rows": [section.row(obj) for obj in objects[:SECTION_ROWS]],
                "see_all": section.see_all,
            }
        )
    return sections


# --- the guide list's "mine" filter: the same selectors as the dashboard ----------------------
MINE = {
    "waiting": (gettext_lazy("Waiting for me to publish"), selectors.guides_waiting_for),
    "sent_back": (gettext_lazy("Sent back to me"), selectors.guides_sent_back_to),
    "drafts": (gettext_lazy("My drafts"), selectors.drafts_of),
}


class MineFilter(admin.SimpleListFilter):
    title = gettext_lazy("my work")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _selector) in MINE.items()]

    def queryset(self, request, queryset):
        if self.value() not in MINE:
            return queryset
        selector = MINE[self.value()][1]
        return queryset.filter(pk__in=selector(request.user).values("pk"))


def _mine_url(key: str) -> str:
    return f"{reverse('admin:kb_guide_changelist')}?mine={key}"


def guide_change_url(guide: Guide) -> str:
    return reverse("admin:kb_guide_change", args=[guide.pk])


def guide_review_url(guide: Guide) -> str:
    try:
        return reverse("admin:kb_guide_review", args=[guide.pk])
    except NoReverseMatch:
        return guide_change_url(guide)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""


def _guide_title(guide: Guide) -> str:
    if guide.draft_of_id:
        return _("%(title)s (pending change)") % {"title": guide.title}
    return guide.title


def _topic(guide: Guide) -> str:
    return " · ".join(
        str(part)
        for part in (guide.carrier or guide.country, guide.task, guide.get_language_display())
        if part
    )


# --- the sections -----------------------------------------------------------------------------
@dashboard_section
def waiting_for_me(request):
    if not request.user.has_perm(workflow.PERM_PUBLISH):
        return None

    def row(guide):
        by = guide.submitted_by.get_username() if guide.submitted_by else "—"
        return {
            "url": guide_review_url(guide),
            "title": _guide_title(guide),
            "meta": _("%(topic)s · submitted by %(user)s, %(when)s")
            % {"topic": _topic(guide), "user": by, "when": _when(guide.updated_at)},
            "note": "",
        }

    return Section(
        key="waiting",
        title=_("Waiting for me to publish"),
        empty=_("Nothing waits for you: every guide in review is yours or already published."),
        queryset=selectors.guides_waiting_for(request.user),
        row=row,
        see_all=_mine_url("waiting"),
    )


@dashboard_section
def sent_back_to_me(request):
    if not request.user.has_perm(workflow.PERM_CHANGE):
        return None

    def row(guide):
        return {
            "url": guide_change_url(guide),
            "title": _guide_title(guide),
            "meta": _("%(topic)s · sent back by %(user)s, %(when)s")
            % {
                "topic": _topic(guide),
                "user": guide.last_transition_by or "—",
                "when": _when(guide.last_transition_at),
            },
            "note": guide.last_transition_note,
        }

    return Section(
        key="sent_back",
        title=_("Sent back to me"),
        empty=_("No guide of yours was sent back."),
        queryset=selectors.guides_sent_back_to(request.user),
        row=row,
        see_all=_mine_url("sent_back"),
    )


@dashboard_section
def my_drafts(request):
    if not request.user.has_perm(workflow.PERM_CHANGE):
        return None

    def row(guide):
        return {
            "url": guide_change_url(guide),
            "title": _guide_title(guide),
            "meta": _("%(topic)s · last edited %(when)s")
            % {"topic": _topic(guide), "when": _when(guide.updated_at)},
            "note": "",
        }

    return Section(
        key="drafts",
        title=_("My drafts"),
        empty=_("You have no drafts. Start a new guide, or edit a published one."),
        queryset=selectors.drafts_of(request.user),
        row=row,
        see_all=_mine_url("drafts"),
    )


@dashboard_section
def corrections_to_triage(request):
    if not request.user.has_perm(corrections.PERM_TRIAGE):
        return None

    def row(correction):
        step = (
            _("step %(n)s") % {"n": correction.step_position}
            if correction.step_position
            else _("whole guide")
        )
        return {
            "url": reverse("admin:kb_correction_change", args=[correction.pk]),
            "title": correction.guide.title,
            "meta": f"{step} · {correction.get_kind_display()} · {_when(correction.created_at)}",
            "note": "",
        }

    open_statuses = ",".join(Correction.OPEN_STATUSES)
    return Section(
        key="corrections",
        title=_("Corrections to triage"),
        empty=_("No reader's correction is waiting. Thank you!"),
        queryset=selectors.corrections_to_triage(request.user),
        row=row,
        see_all=f"{reverse('admin:kb_correction_changelist')}?status__in={open_statuses}",
    )
