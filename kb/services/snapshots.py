"""A guide's content as plain data: what a revision keeps and what restore puts back."""

from datetime import date

from kb.models import Guide, Problem, Source, Step

GUIDE_FIELDS = (
    "title",
    "slug",
    "summary",
    "prerequisites",
    "time_needed",
    "risk_notes",
    "irreversible",
    "tips",
    "unconfirmed",
    "reverify_days",
    "carrier_id",
    "country_id",
    "task_id",
    "plan_type",
    "language",
    "translation_of_id",
)
STEP_FIELDS = ("title", "body", "tip", "warning")
PROBLEM_FIELDS = ("symptom", "cause", "solution")
SOURCE_FIELDS = ("url", "title", "accessed_on")


def _value(value):
    return value.isoformat() if isinstance(value, date) else value


def snapshot(guide: Guide) -> dict:
    return {
        "guide": {field: _value(getattr(guide, field)) for field in GUIDE_FIELDS},
        "steps": [
            {field: getattr(step, field) for field in STEP_FIELDS}
            for step in guide.steps.order_by("position")
        ],
        "problems": [
            {field: getattr(problem, field) for field in PROBLEM_FIELDS}
            for problem in guide.problems.order_by("position")
        ],
        "sources": [
            {field: _value(getattr(source, field)) for field in SOURCE_FIELDS}
            for source in guide.sources.order_by("position", "id")
        ],
    }


def apply_snapshot(guide: Guide, data: dict) -> Guide:
    """Write the content in ``data`` onto ``guide`` (saved) and replace its children."""
    for field, value in data["guide"].items():
        if field in GUIDE_FIELDS:
            setattr(guide, field, value)
    guide.save()
    replace_children(guide, data)
    return guide


def replace_children(guide: Guide, data: dict) -> None:
    """Replace the guide's steps, problems and sources with those in ``data``, numbered 1..n."""
    guide.steps.all().delete()
    guide.problems.all().delete()
    guide.sources.all().delete()
    for position, item in enumerate(data.get("steps", []), start=1):
        Step(guide=guide, position=position, **{k: item.get(k) or "" for k in STEP_FIELDS}).save()
    for position, item in enumerate(data.get("problems", []), start=1):
        Problem(
            guide=guide, position=position, **{k: item.get(k) or "" for k in PROBLEM_FIELDS}
        ).save()
    for position, item in enumerate(data.get("sources", []), start=1):
        Source.objects.create(
            guide=guide,
            position=position,
            url=item.get("url") or "",
            title=item.get("title") or "",
            accessed_on=item.get("accessed_on") or None,
        )
