"""A guide's content as plain data: what a revision keeps and what restore puts back."""

from datetime import date

from django.db.models import Prefetch

from kb.models import Guide, GuideImage, ImageAsset, Problem, Source, Step

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
IMAGE_FIELDS = ("alt", "caption")


def _value(value):
    return value.isoformat() if isinstance(value, date) else value


def _with_images(queryset):
    return queryset.order_by("position").prefetch_related(
        Prefetch("images", queryset=GuideImage.objects.select_related("asset"))
    )


def _child(obj, fields) -> dict:
    item = {field: getattr(obj, field) for field in fields}
    pictures = [
        {"asset": image.asset.key, **{f: getattr(image, f) for f in IMAGE_FIELDS}}
        for image in obj.images.all()
    ]
    if pictures:  # absent rather than empty, so revisions from before pictures compare equal
        item["images"] = pictures
    return item


def snapshot(guide: Guide) -> dict:
    return {
        "guide": {field: _value(getattr(guide, field)) for field in GUIDE_FIELDS},
        "steps": [_child(step, STEP_FIELDS) for step in _with_images(guide.steps)],
        "problems": [_child(problem, PROBLEM_FIELDS) for problem in _with_images(guide.problems)],
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
    """Replace the guide's steps, problems and sources (with their pictures) with those in
    ``data``, numbered 1..n."""
    guide.images.all().delete()
    guide.steps.all().delete()
    guide.problems.all().delete()
    guide.sources.all().delete()
    keys = {
        image["asset"]
        for key in ("steps", "problems")
        for item in data.get(key, [])
        for image in item.get("images", [])
    }
    assets = {a.key: a for a in ImageAsset.objects.filter(key__in=keys)} if keys else {}
    pictures = []

    def place(item, **parent):
        for order, image in enumerate(item.get("images", []), start=1):
            asset = assets.get(image.get("asset"))
            if asset is not None:
                pictures.append(
                    GuideImage(
                        guide=guide,
                        asset=asset,
                        position=order,
                        **{f: image.get(f) or "" for f in IMAGE_FIELDS},
                        **parent,
                    )
                )

    for position, item in enumerate(data.get("steps", []), start=1):
        step = Step(guide=guide, position=position, **{k: item.get(k) or "" for k in STEP_FIELDS})
        step.save()
        place(item, step=step)
    for position, item in enumerate(data.get("problems", []), start=1):
        problem = Problem(
            guide=guide, position=position, **{k: item.get(k) or "" for k in PROBLEM_FIELDS}
        )
        problem.save()
        place(item, problem=problem)
    GuideImage.objects.bulk_create(pictures)
    for position, item in enumerate(data.get("sources", []), start=1):
        Source.objects.create(
            guide=guide,
            position=position,
            url=item.get("url") or "",
            title=item.get("title") or "",
            accessed_on=item.get("accessed_on") or None,
        )
