"""Read-side questions the admin and the public views ask, answered once.

Each returns a queryset (so callers add ``[:10]``, ``.count()`` or one more filter); the rules
themselves live on the models' querysets (``Guide.objects.written_by``,
``Correction.objects.waiting``) and in ``kb.services.workflow``'s transition table.
"""

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Window
from django.db.models.functions import Coalesce, RowNumber

from kb.models import Carrier, Correction, Country, Guide, GuideEvent, PlanType, Task
from kb.services import corrections, workflow
from kb.services._common import has_perm

Status = Guide.Status


def _guides():
    return Guide.objects.select_related("carrier", "country", "task", "draft_of")


def guides_waiting_for(user):
    """Guides and pending changes in review that ``user`` may publish now: exactly those where
    ``workflow.available_actions`` offers "publish" (permission, state, four eyes)."""
    publish = workflow.TRANSITIONS["publish"]
    if not has_perm(user, publish.perm):
        return Guide.objects.none()
    guides = _guides().select_related("submitted_by").filter(status__in=publish.statuses)
    if not settings.KB_ALLOW_SELF_PUBLISH:
        guides = guides.not_written_by(user)
    return guides.order_by("updated_at", "pk")


def _drafts_of_theirs(user):
    """Drafts ``user`` opened, submitted or wrote (part of): the one definition both
    ``guides_sent_back_to`` and ``drafts_of`` split between them."""
    mine = Guide.objects.written_by(user).values("pk")
    theirs = Q(created_by_id=user.pk) | Q(submitted_by_id=user.pk) | Q(pk__in=mine)
    return _guides().filter(status=Status.DRAFT).filter(theirs)


def guides_sent_back_to(user):
    """Drafts of ``user``'s whose last change of state was a reviewer sending them back (or
    taking them off the site), with the reason in ``last_transition_note``."""
    if getattr(user, "pk", None) is None:
        return Guide.objects.none()
    return (
        _drafts_of_theirs(user)
        .with_last_transition()
        .filter(last_transition_action__in=GuideEvent.SENT_BACK_ACTIONS)
        .alias(sent_back_by=Coalesce("last_transition_by_id", 0, output_field=IntegerField()))
        .exclude(sent_back_by=user.pk)
        .order_by("-last_transition_at", "-pk")
    )


def drafts_of(user):
    """``user``'s drafts (guides and pending changes they opened or wrote), except those sent
    back, which ``guides_sent_back_to`` lists with their reason."""
    if getattr(user, "pk", None) is None:
        return Guide.objects.none()
    return (
        _drafts_of_theirs(user)
        .exclude(pk__in=guides_sent_back_to(user).values("pk"))
        .order_by("-updated_at", "-pk")
    )


def corrections_to_triage(user):
    """Readers' corrections still open (``Correction.objects.waiting``), oldest first, for those
    who may triage them."""
    if not has_perm(user, corrections.PERM_TRIAGE):
        return Correction.objects.none()
    return Correction.objects.waiting().select_related("guide").order_by("created_at", "pk")


# --- Public pages --------------------------------------------------------------------------------
#: Carriers shown per country on the home and task pages; the country page lists them all,
#: a page at a time.
TOP_CARRIERS = 12


def published_guides():
    return Guide.objects.published().select_related("carrier", "country", "task")


def one_per_topic(guides, language):
    """One guide per topic (carrier or country, task and plan type): the reader's language if
    there is one, else the other language."""
    chosen = {}
    for guide in guides:
        topic = (guide.carrier_id, guide.country_id, guide.task_id, guide.plan_type)
        current = chosen.get(topic)
        if current is None or (guide.language == language and current.language != language):
            chosen[topic] = guide
    return list(chosen.values())


def plan_order(guide):
    """Variants of one topic in a stable order: every plan type first, then prepaid, monthly."""
    return list(PlanType.values).index(guide.plan_type)


def published_here(language):
    return Q(
        guides__status=Guide.Status.PUBLISHED,
        guides__draft_of__isnull=True,
        guides__language=language,
    )


def countries_with_top_carriers(language, limit=TOP_CARRIERS):
    """Every country with its ``limit`` carriers with the most guides in ``language`` (then by
    name) as ``top_carriers``, and how many carriers it has as ``carrier_total``: two queries,
    however many carriers there are."""
    ranked = (
        Carrier.objects.annotate(
            guide_count=Count("guides", filter=published_here(language)),
            rank=Window(
                RowNumber(),
                partition_by=F("country_id"),
                order_by=(F("guide_count").desc(), F("name").asc(), F("pk").asc()),
            ),
        )
        .filter(rank__lte=limit)
        .order_by("country_id", "rank")
    )
    by_country = {}
    for carrier in ranked:
        by_country.setdefault(carrier.country_id, []).append(carrier)
    countries = list(Country.objects.annotate(carrier_total=Count("carriers")))
    for country in countries:
        country.top_carriers = by_country.get(country.pk, [])
    return countries


def carrier_tasks(carrier, language):
    """Each task with the carrier's guides for it, one per plan type in the reader's language
    where there is one: the carrier's own guides, else the guide for its whole country."""
    guides = published_guides().filter(
        Q(carrier=carrier) | Q(carrier__isnull=True, country_id=carrier.country_id)
    )
    by_task = {}
    for guide in one_per_topic(guides, language):
        by_task.setdefault(guide.task_id, []).append(guide)
    rows = []
    for task in Task.objects.all():
        variants = by_task.get(task.pk, [])
        own = [guide for guide in variants if guide.carrier_id is not None]
        rows.append((task, sorted(own or variants, key=plan_order)))
    return rows


def related_guides(guide, language, limit=TOP_CARRIERS) -> dict:
    """The same carrier's (or country-wide) other tasks, and the same task at up to ``limit``
    other carriers of the country (by name) and for the whole country: one guide per topic, in
    the reader's language where there is one. One query, whatever the number of carriers;
    ``carrier_total`` (the country's carriers, for a link to the country page) is counted only
    when more carriers have the task than are listed."""
    same_owner = Q(carrier=guide.carrier) if guide.carrier_id else Q(carrier__isnull=True)
    with_the_task = Guide.objects.published().filter(carrier=OuterRef("pk"), task_id=guide.task_id)
    others = (
        Carrier.objects.filter(Exists(with_the_task), country_id=guide.country_id)
        .exclude(pk=guide.carrier_id)
        .order_by("name", "pk")
        .values("pk")[: limit + 1]
    )
    rows = (
        published_guides()
        .filter(country_id=guide.country_id)
        .filter(
            (same_owner & ~Q(task_id=guide.task_id))
            | Q(task_id=guide.task_id, carrier__isnull=True)
            | Q(task_id=guide.task_id, carrier_id__in=others)
        )
        .exclude(carrier_id=guide.carrier_id, task_id=guide.task_id)
        .order_by("task__position", "carrier__name", "carrier_id", "plan_type")
        .only(
            "id",
            "slug",
            "language",
            "title",
            "plan_type",
            "carrier_id",
            "country_id",
            "task_id",
            "carrier__name",
            "task__name_zh",
            "task__name_en",
            "task__position",
            "country__name_zh",
            "country__name_en",
        )
    )
    chosen = one_per_topic(rows, language)
    carriers = [g for g in chosen if g.task_id == guide.task_id]
    listed = list(dict.fromkeys(g.carrier_id for g in carriers if g.carrier_id is not None))
    carrier_total = None
    if len(listed) > limit:
        carriers = [g for g in carriers if g.carrier_id != listed[-1]]
        carrier_total = guide.country.carriers.count()
    return {
        "tasks": [g for g in chosen if g.task_id != guide.task_id],
        "carriers": carriers,
        "carrier_total": carrier_total,
    }
