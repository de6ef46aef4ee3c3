"""Loading the demo catalogue and guides from the YAML files under kb/data/demo/.

Idempotent: an object that exists already (by slug, or by the guide's demo origin) is left as
it is, so a second run changes nothing and never overwrites an editor's later changes.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kb.models import (
    Carrier,
    Country,
    Guide,
    GuideEvent,
    GuideRevision,
    PlanType,
    Problem,
    Step,
    SupportChannel,
    Task,
)
from kb.search.lexicon import split_aliases
from kb.services import hooks, images, workflow
from kb.services.snapshots import replace_children, snapshot

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
ORIGIN_PREFIX = "demo:"
IMAGES_DIR = DEMO_DIR / "images"


class DemoDataError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.kept
        bucket[kind] = bucket.get(kind, 0) + 1


def _lines(value) -> str:
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return value or ""


def _read_yaml(path: Path, problems: list[str]):
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{path.name}: cannot be read: {str(exc).splitlines()[0]}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path.name}: expected a mapping at the top level")
        return None
    return data


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _carrier_aliases(item: dict) -> dict[str, str]:
    """Public names and search-only spellings: as given, or split by ``split_aliases``."""
    aliases = [str(a) for a in item.get("aliases") or []]
    if "search_aliases" in item:
        return {
            "aliases": _lines(aliases),
            "search_aliases": _lines(item.get("search_aliases")),
        }
    public, search_only = split_aliases(
        names=(item["name"], item.get("name_zh") or ""), aliases=aliases
    )
    return {"aliases": _lines(public), "search_aliases": _lines(search_only)}


def _load_catalogue(data: dict, report: DemoReport) -> None:
    for item in data.get("countries", []):
        _, created = Country.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name_zh": item["name_zh"],
                "name_en": item["name_en"],
                "aliases": _lines(item.get("aliases")),
                "position": item.get("position", 0),
            },
        )
        report.add("countries", created)
    for position, item in enumerate(data.get("tasks", []), start=1):
        _, created = Task.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name_zh": item["name_zh"],
                "name_en": item["name_en"],
                "description_zh": item.get("description_zh", ""),
                "description_en": item.get("description_en", ""),
                "synonyms": _lines(item.get("synonyms")),
                "position": item.get("position", position),
            },
        )
        report.add("tasks", created)
    for item in data.get("carriers", []):
        carrier, created = Carrier.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "name_zh": item.get("name_zh") or "",
                "country": Country.objects.get(slug=item["country"]),
                **_carrier_aliases(item),
                "website": item.get("website") or "",
                "description_zh": item.get("description_zh") or "",
                "description_en": item.get("description_en") or "",
            },
        )
        report.add("carriers", created)
        if created:
            for position, channel in enumerate(item.get("channels", []), start=1):
                SupportChannel.objects.create(
                    carrier=carrier,
                    position=position,
                    kind=channel["kind"],
                    label_zh=channel.get("label_zh") or "",
                    label_en=channel.get("label_en") or "",
                    value=str(channel.get("value") or ""),
                    url=channel.get("url") or "",
                    hours_zh=channel.get("hours_zh") or "",
                    hours_en=channel.get("hours_en") or "",
                    cost_zh=channel.get("cost_zh") or "",
                    cost_en=channel.get("cost_en") or "",
                    works_from_abroad=channel.get("works_from_abroad", True),
                )


def _plan_type(value) -> str:
    if value in (None, ""):
        return PlanType.ALL
    if value not in PlanType.values:
        raise ValueError(f"plan_type {value!r} is not one of {', '.join(PlanType.values)}")
    return value


def _create_guide(path: Path, data: dict, originals: dict) -> Guide:
    status = data.get("status", Guide.Status.PUBLISHED)
    now = timezone.now()
    carrier = Carrier.objects.get(slug=data["carrier"]) if data.get("carrier") else None
    verified = _date(data.get("verified_on"))
    if isinstance(verified, dt.date) and not isinstance(verified, dt.datetime):
        verified = dt.datetime.combine(verified, dt.time(12), tzinfo=dt.UTC)
    guide = Guide.objects.create(
        carrier=carrier,
        country=Country.objects.get(slug=data["country"]),
        task=Task.objects.get(slug=data["task"]),
        plan_type=_plan_type(data.get("plan_type")),
        language=data.get("language", "zh-hans"),
        translation_of=originals.get(data.get("key")) if data.get("language") == "en" else None,
        title=data["title"],
        slug=data["slug"],
        summary=data.get("summary") or "",
        prerequisites=data.get("prerequisites") or "",
        time_needed=data.get("time_needed") or "",
        risk_notes=data.get("risk_notes") or "",
        irreversible=bool(data.get("irreversible")),
        tips=data.get("tips") or "",
        unconfirmed=(data.get("unconfirmed") or "").strip(),
        reverify_days=data.get("reverify_days") or 180,
        status=status,
        published_at=now if status == Guide.Status.PUBLISHED else None,
        content_updated_at=now if status == Guide.Status.PUBLISHED else None,
        last_verified_at=verified,
        origin_file=f"{ORIGIN_PREFIX}{path.name}",
    )
    replace_children(
        guide,
        {
            "steps": data.get("steps", []),
            "problems": data.get("problems", []),
            "sources": [
                {
                    "url": source["url"],
                    "title": source.get("title") or source["url"],
                    "accessed_on": _date(source.get("accessed_on")),
                }
                for source in data.get("sources", [])
            ],
        },
    )
    _place_images(guide, data.get("images") or [])
    GuideEvent.objects.create(
        guide=guide, action=GuideEvent.Action.CREATED, note="demo content", to_status=status
    )
    if status == Guide.Status.PUBLISHED:
        workflow.guide_store_traditional(guide=guide)
        revision = GuideRevision.objects.create(
            guide=guide,
            number=1,
            note=(data.get("changelog_note") or "")[:300],
            data=snapshot(guide),
        )
        images.revision_link_images(revision=revision)
        GuideEvent.objects.create(
            guide=guide,
            action=GuideEvent.Action.PUBLISHED,
            note="demo content",
            from_status=Guide.Status.IN_REVIEW,
            to_status=status,
            revision=revision,
        )
        hooks.guide_visibility_changed(guide)
    return guide


def _place_images(guide: Guide, items: list[dict]) -> None:
    """Our own diagrams from kb/data/demo/images/, through the same checks as an upload."""
    for order, item in enumerate(items, start=1):
        path = IMAGES_DIR / item["file"]
        if path.parent != IMAGES_DIR or not path.is_file():
            raise ValueError(f"no demo picture {item['file']!r} in {IMAGES_DIR.name}/")
        try:
            asset = images.image_store(processed=images.image_process(data=path.read_bytes()))
            images.image_place(
                guide=guide,
                step=guide.steps.get(position=item["step"]) if item.get("step") else None,
                problem=guide.problems.get(position=item["problem"])
                if item.get("problem")
                else None,
                asset=asset,
                alt=item["alt"],
                caption=item.get("caption") or "",
                position=order,
            )
        except (ValidationError, Step.DoesNotExist, Problem.DoesNotExist) as exc:
            raise ValueError(f"picture {item['file']!r}: {exc}") from None


REQUIRED_GUIDE_KEYS = ("key", "language", "country", "task", "title", "slug", "summary", "steps")


def _guide_files(directory: Path, problems: list[str]) -> list[tuple[Path, dict]]:
    files = []
    for path in sorted(directory.glob("*.yaml")):
        data = _read_yaml(path, problems)
        if data is None:
            continue
        missing = [key for key in REQUIRED_GUIDE_KEYS if not data.get(key)]
        if missing:
            problems.append(f"{path.name}: missing {', '.join(missing)}")
            continue
        files.append((path, data))
    # Originals first, so that translations can link to them.
    files.sort(key=lambda item: (item[1]["language"] != "zh-hans", item[0].name))
    return files


def load_demo(directory: Path = DEMO_DIR) -> DemoReport:
    problems: list[str] = []
    catalogue = _read_yaml(directory / "catalogue.yaml", problems)
    guide_files = _guide_files(directory / "guides", problems)
    if problems:
        raise DemoDataError(problems)
    report = DemoReport()
    with transaction.atomic():
        _load_catalogue(catalogue, report)
        existing = {
            guide.origin_file: guide
            for guide in Guide.objects.filter(origin_file__startswith=ORIGIN_PREFIX)
        }
        originals = {}
        for path, data in guide_files:
            guide = existing.get(f"{ORIGIN_PREFIX}{path.name}")
            created = guide is None
            if created:
                try:
                    guide = _create_guide(path, data, originals)
                except (
                    KeyError,
                    ValueError,
                    Country.DoesNotExist,
                    Carrier.DoesNotExist,
                    Task.DoesNotExist,
                ) as exc:
                    problems.append(f"{path.name}: {type(exc).__name__}: {exc}")
                    continue
            if data["language"] == "zh-hans":
                originals[data["key"]] = guide
            report.add("guides", created)
        if problems:
            transaction.set_rollback(True)
            raise DemoDataError(problems)
    return report


DEMO_CLIENT = "demo-data"


def load_demo_corrections(*, reviewer=None, directory: Path = DEMO_DIR) -> int:
    """Reader reports for the demo queue; returns how many were created (0 on a second run)."""
    from kb.models import Correction
    from kb.services import corrections

    if Correction.objects.filter(client_hash=DEMO_CLIENT).exists():
        return 0
    problems: list[str] = []
    data = _read_yaml(directory / "corrections.yaml", problems)
    if problems:
        raise DemoDataError(problems)
    created = 0
    with transaction.atomic():
        for item in data.get("corrections", []):
            guide = Guide.objects.published().get(slug=item["guide"], language=item["language"])
            step = guide.steps.get(position=item["step"]) if item.get("step") else None
            correction = corrections.correction_submit(
                guide=guide,
                step=step,
                kind=item["kind"],
                proposed_text=item["proposed_text"],
                language=item["language"],
                plan_type=item.get("plan_type", ""),
                client_hash=DEMO_CLIENT,
            )
            created += 1
            outcome = item.get("outcome", "received")
            if reviewer is None or outcome in ("received", "spam"):
                continue
            if outcome == "rejected":
                corrections.correction_reject(
                    correction=correction,
                    user=reviewer,
                    reason=item["reject_reason"],
                    note=item.get("note", ""),
                )
            elif outcome == "accepted":
                corrections.correction_accept(correction=correction, user=reviewer, submit=False)
    return created
