"""Every editorial transition of a guide: one function each, checked, atomic and recorded.

draft -> in_review -> published -> archived, and back to draft with a reason. Editing a
published guide happens on a pending copy (``Guide.draft_of``) that readers never see; publishing
the copy writes its content onto the live guide and keeps a full revision.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kb.models import Guide, GuideEvent, GuideRevision
from kb.services import hooks, sourcewatch
from kb.services.snapshots import apply_snapshot, snapshot

Status = Guide.Status
Action = GuideEvent.Action

PERM_CHANGE = "kb.change_guide"
PERM_PUBLISH = "kb.publish_guide"
PERM_VERIFY = "kb.verify_guide"


class WorkflowError(Exception):
    """A transition that does not apply to the guide in its current state."""


def _require(user, perm: str) -> None:
    if not (user and user.is_active and user.has_perm(perm)):
        raise PermissionDenied(_("You do not have permission to do this."))


def _require_status(guide: Guide, *allowed: str) -> None:
    if guide.status not in allowed:
        raise WorkflowError(
            _("This is not possible while the guide is “%(status)s”.")
            % {"status": guide.get_status_display()}
        )


def _record(guide, action, user, *, note="", from_status="", to_status="", revision=None):
    return GuideEvent.objects.create(
        guide=guide.live,
        action=action,
        actor=user,
        note=note,
        from_status=from_status,
        to_status=to_status,
        revision=revision,
    )


def _lock(guide: Guide) -> Guide:
    """The guide's row as it is now, locked until the transaction ends."""
    try:
        return Guide.objects.select_for_update().get(pk=guide.pk)
    except Guide.DoesNotExist:
        raise WorkflowError(_("This guide or pending change no longer exists.")) from None


def contributor_ids(guide: Guide) -> set[int]:
    """Everyone who wrote this version: its author, submitter, last editor, and anyone who
    saved it in the admin since it was opened (a pending copy) or last published."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    ids = {guide.created_by_id, guide.updated_by_id, guide.submitted_by_id}
    since = guide.created_at if guide.is_pending_copy else guide.content_updated_at
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Guide), object_id=str(guide.pk)
    )
    if since is not None:
        entries = entries.filter(action_time__gte=since)
    ids.update(entries.values_list("user_id", flat=True))
    ids.discard(None)
    return ids


def is_own_change(guide: Guide, user) -> bool:
    return user.pk is not None and user.pk in contributor_ids(guide)


def guide_record_created(*, guide: Guide, user, imported: bool = False, note: str = "") -> None:
    _record(
        guide,
        Action.IMPORTED if imported else Action.CREATED,
        user,
        note=note,
        to_status=guide.status,
    )


@transaction.atomic
def guide_start_change(*, guide: Guide, user) -> Guide:
    """Open (or return the open) pending copy of a published guide for editing."""
    _require(user, PERM_CHANGE)
    guide = _lock(guide)
    _require_status(guide, Status.PUBLISHED)
    existing = guide.pending_versions.first()
    if existing is not None:
        return existing
    copy = Guide(draft_of=guide, status=Status.DRAFT, created_by=user, updated_by=user)
    apply_snapshot(copy, snapshot(guide))
    _record(guide, Action.EDIT_STARTED, user, to_status=Status.DRAFT)
    return copy


@transaction.atomic
def guide_submit(*, guide: Guide, user, note: str = "") -> Guide:
    _require(user, PERM_CHANGE)
    guide = _lock(guide)
    _require_status(guide, Status.DRAFT)
    if not guide.steps.exists():
        raise WorkflowError(_("Add at least one step before submitting the guide for review."))
    guide.status = Status.IN_REVIEW
    guide.submitted_by = user
    guide.review_note = ""
    guide.save(update_fields=["status", "submitted_by", "review_note", "updated_at"])
    _record(
        guide,
        Action.SUBMITTED,
        user,
        note=note,
        from_status=Status.DRAFT,
        to_status=Status.IN_REVIEW,
    )
    return guide


@transaction.atomic
def guide_reject(*, guide: Guide, user, reason: str) -> Guide:
    """Send a guide in review back to its editor, with the reason."""
    _require(user, PERM_PUBLISH)
    guide = _lock(guide)
    _require_status(guide, Status.IN_REVIEW)
    if not (reason or "").strip():
        raise WorkflowError(_("Say why the guide goes back to draft."))
    guide.status = Status.DRAFT
    guide.review_note = reason.strip()
    guide.save(update_fields=["status", "review_note", "updated_at"])
    _record(
        guide,
        Action.REJECTED,
        user,
        note=reason,
        from_status=Status.IN_REVIEW,
        to_status=Status.DRAFT,
    )
    return guide


def _check_no_conflict(guide: Guide, target: Guide) -> None:
    clash = Guide.objects.published().exclude(pk=target.pk).filter(language=guide.language)
    if guide.carrier_id:
        same_topic = Q(carrier_id=guide.carrier_id, task_id=guide.task_id)
    else:
        same_topic = Q(carrier__isnull=True, country_id=guide.country_id, task_id=guide.task_id)
    other = clash.filter(same_topic | Q(slug=guide.slug)).first()
    if other is not None:
        raise WorkflowError(
            _("“%(title)s” is already published for this topic or address; archive it first.")
            % {"title": other.title}
        )


@transaction.atomic
def guide_publish(*, guide: Guide, user, note: str = "") -> Guide:
    """Publish a guide in review (or a pending change, onto its live guide). Returns the live guide."""
    _require(user, PERM_PUBLISH)
    guide = _lock(guide)
    _require_status(guide, Status.IN_REVIEW)
    if is_own_change(guide, user) and not settings.KB_ALLOW_SELF_PUBLISH:
        raise PermissionDenied(_("Another reviewer must publish a change you made yourself."))
    now = timezone.now()
    pending_copy_id = guide.pk if guide.is_pending_copy else None
    if guide.is_pending_copy:
        target = Guide.objects.select_for_update().get(pk=guide.draft_of_id)
        if target.status != Status.PUBLISHED:
            raise WorkflowError(_("The guide this change belongs to is no longer published."))
        _check_no_conflict(guide, target)
        apply_snapshot(target, snapshot(guide))
        target.updated_by = guide.updated_by
        target.submitted_by = guide.submitted_by
        target.content_updated_at = now
        target.save()
        guide.delete()
        from_status = Status.PUBLISHED
    else:
        target = guide
        _check_no_conflict(guide, target)
        target.status = Status.PUBLISHED
        target.published_at = target.published_at or now
        target.content_updated_at = now
        target.review_note = ""
        target.save()
        from_status = Status.IN_REVIEW
    number = (target.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = GuideRevision.objects.create(
        guide=target,
        number=number,
        created_by=user,
        note=(note or "").strip()[:300],
        data=snapshot(target),
    )
    from kb.services import corrections  # corrections uses this module

    corrections.on_guide_published(guide=target, pending_copy_id=pending_copy_id, revision=revision)
    _record(
        target,
        Action.PUBLISHED,
        user,
        note=note,
        from_status=from_status,
        to_status=Status.PUBLISHED,
        revision=revision,
    )
    hooks.guide_visibility_changed(target)
    return target


@transaction.atomic
def guide_archive(*, guide: Guide, user, reason: str = "") -> Guide:
    _require(user, PERM_PUBLISH)
    guide = _lock(guide)
    _require_status(guide, Status.PUBLISHED)
    for copy in guide.pending_versions.all():
        _record(guide, Action.DISCARDED, user, note=_("Discarded because the guide was archived."))
        copy.delete()
    guide.status = Status.ARCHIVED
    guide.save(update_fields=["status", "updated_at"])
    _record(
        guide,
        Action.ARCHIVED,
        user,
        note=reason,
        from_status=Status.PUBLISHED,
        to_status=Status.ARCHIVED,
    )
    hooks.guide_visibility_changed(guide)
    return guide


@transaction.atomic
def guide_return_to_draft(*, guide: Guide, user, reason: str) -> Guide:
    """Take a published or archived guide back to draft, off the public site."""
    _require(user, PERM_PUBLISH)
    guide = _lock(guide)
    _require_status(guide, Status.PUBLISHED, Status.ARCHIVED)
    if guide.is_pending_copy:
        raise WorkflowError(_("A pending change is already a draft."))
    if not (reason or "").strip():
        raise WorkflowError(_("Say why the guide goes back to draft."))
    if guide.pending_versions.exists():
        raise WorkflowError(_("Publish or discard the pending change first."))
    previous = guide.status
    guide.status = Status.DRAFT
    guide.review_note = reason.strip()
    guide.save(update_fields=["status", "review_note", "updated_at"])
    _record(guide, Action.RESTORED, user, note=reason, from_status=previous, to_status=Status.DRAFT)
    hooks.guide_visibility_changed(guide)
    return guide


@transaction.atomic
def guide_discard_change(*, guide: Guide, user, reason: str = "") -> Guide:
    """Delete a pending copy; the live guide is untouched. Returns the live guide."""
    _require(user, PERM_CHANGE)
    guide = _lock(guide)
    if not guide.is_pending_copy:
        raise WorkflowError(_("Only a pending change can be discarded."))
    live = guide.draft_of
    _record(guide, Action.DISCARDED, user, note=reason)
    guide.delete()
    return live


@transaction.atomic
def guide_verify(*, guide: Guide, user, note: str = "") -> Guide:
    """Record that an editor checked the published guide against the carrier's pages today."""
    _require(user, PERM_VERIFY)
    guide = _lock(guide)
    _require_status(guide, Status.PUBLISHED)
    now = timezone.now()
    guide.last_verified_at, guide.last_verified_by = now, user
    Guide.objects.filter(pk=guide.pk).update(
        last_verified_at=now, last_verified_by=user, verification_due_at=guide.reverify_due_at
    )
    _record(guide, Action.VERIFIED, user, note=note)
    sourcewatch.baselines_accept(guide=guide)
    hooks.guide_visibility_changed(guide)
    return guide


@transaction.atomic
def guide_revert(*, revision: GuideRevision, user) -> Guide:
    """Put an old revision back as a new pending change of its guide, for review."""
    _require(user, PERM_CHANGE)
    live = Guide.objects.select_for_update().get(pk=revision.guide_id)
    _require_status(live, Status.PUBLISHED)
    if live.pending_versions.exists():
        raise WorkflowError(_("Publish or discard the pending change first."))
    copy = Guide(draft_of=live, status=Status.DRAFT, created_by=user, updated_by=user)
    apply_snapshot(copy, revision.data)
    _record(
        live,
        Action.REVERTED,
        user,
        note=_("From revision %(number)s") % {"number": revision.number},
    )
    return copy
