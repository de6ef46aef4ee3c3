"""Read-side questions the admin and the public views both ask, answered once.

Each returns a queryset (so callers add ``[:10]``, ``.count()`` or one more filter); the rules
themselves live on the models' querysets (``Guide.objects.written_by``,
``Correction.objects.waiting``) and in ``kb.services.workflow``'s transition table.
"""

from django.conf import settings
from django.db.models import IntegerField, Q
from django.db.models.functions import Coalesce

from kb.models import Correction, Guide, GuideEvent
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
