"""Which published guide answers the chooser's three questions (read logic, no writes)."""

from dataclasses import dataclass

from django.db.models import Q

from kb.forms.chooser import (
    GOAL_END,
    GOAL_KEEP,
    GOAL_MOVE,
    GOAL_PHONE,
    PLAN_MONTHLY,
    PLAN_PREPAID,
    SIM_ESIM,
    SIM_PHYSICAL,
)
from kb.models import Carrier, Guide, PlanType, Task


def goal_tasks(*, goal: str, plan: str, sim: str) -> list[str]:
    """Task slugs that answer the reader, best first."""
    if goal == GOAL_KEEP:
        if plan == PLAN_PREPAID:
            return ["keep-number", "renew"]
        if plan == PLAN_MONTHLY:
            return ["keep-number", "pause"]
        return ["keep-number", "pause", "renew"]
    if goal == GOAL_MOVE:
        return ["port-out"]
    if goal == GOAL_PHONE:
        if sim == SIM_PHYSICAL:
            return ["activate-esim", "transfer-esim"]
        if sim == SIM_ESIM:
            return ["transfer-esim", "activate-esim"]
        return ["activate-esim", "transfer-esim"]
    if goal == GOAL_END:
        return ["cancel"]
    return []


@dataclass
class Choice:
    guide: Guide | None
    task: Task | None
    request_url: str | None = None


def chosen_guide(*, carrier: Carrier, goal: str, plan: str, sim: str, language: str) -> Choice:
    """The one guide for the answers: a task in order of preference, the carrier's own guide
    before one for its whole country, the reader's plan type (or one for every plan), the
    reader's language. No guide: the first task, for a request."""
    slugs = goal_tasks(goal=goal, plan=plan, sim=sim)
    tasks = {task.slug: task for task in Task.objects.filter(slug__in=slugs)}
    plans = [PlanType.ALL]
    if plan in (PLAN_PREPAID, PLAN_MONTHLY):
        plans.insert(0, plan)
    guides = (
        Guide.objects.published()
        .filter(Q(carrier=carrier) | Q(carrier__isnull=True, country_id=carrier.country_id))
        .filter(task__slug__in=slugs)
        .select_related("carrier", "country", "task")
    )
    if plan in (PLAN_PREPAID, PLAN_MONTHLY):
        guides = guides.filter(plan_type__in=plans)

    def rank(guide):
        return (
            slugs.index(guide.task.slug),
            guide.carrier_id is None,
            plans.index(guide.plan_type) if guide.plan_type in plans else len(plans),
            guide.language != language,
            guide.pk,
        )

    best = min(guides, key=rank, default=None)
    if best is not None:
        return Choice(guide=best, task=best.task)
    task = next((tasks[slug] for slug in slugs if slug in tasks), None)
    return Choice(guide=None, task=task)
