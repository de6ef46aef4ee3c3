"""Every editorial transition of a guide: one function each, checked, atomic and recorded.

draft -> in_review -> published -> archived, and back to draft with a reason. Editing a
published guide happens on a pending copy (``Guide.draft_of``) that readers never see; publishing
the copy writes its content onto the live guide and keeps a full revision.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kb import traditional
from kb.models import Guide, GuideEvent, GuideRevision
from kb.services import hooks, images, sourcewatch
from kb.services._common import has_perm, lock
from kb.services.snapshots import apply_snapshot, snapshot

Status = Guide.Status
Action = GuideEvent.Action

PERM_CHANGE = "kb.change_guide"
PERM_PUBLISH = "kb.publish_guide"
PERM_VERIFY = "kb.verify_guide"

WRITE_ACTIONS = GuideEvent.WRITE_ACTIONS


class WorkflowError(Exception):
    """A transition that does not apply to the guide in its current state."""


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
    return lock(
        Guide.objects, guide.pk, WorkflowError(_("This guide or pending change no longer exists."))
    )


# --- who wrote a version ----------------------------------------------------------------------
def writer_ids(guide: Guide) -> set[int]:
    """The people who wrote the text of this version (not who opened, submitted or accepted it):
    whoever created, edited or restored it since it was opened (a pending change) or last
    published. A reader's correction applied unchanged was written by the reader."""
    events = GuideEvent.objects.filter(guide_id=guide.live.pk, action__in=WRITE_ACTIONS)
    if guide.is_pending_copy:
        events = events.filter(at__gte=guide.created_at)
    else:
        last_published = GuideEvent.objects.filter(
            guide_id=guide.pk, action=Action.PUBLISHED
        ).aggregate(at=Max("at"))["at"]
        if last_published is not None:
            events = events.filter(at__gt=last_published)
    ids = set(events.values_list("actor_id", flat=True)) | {guide.updated_by_id}
    ids.discard(None)
    return ids


def is_own_change(guide: Guide, user) -> bool:
    """Whether ``user`` wrote this version: ``Guide.objects.written_by``, the rule the lists use,
    asked of this one row (``writer_ids`` states it in Python; a test holds them equal)."""
    if getattr(user, "pk", None) is None:
        return False
    if guide.pk is None:
        return guide.updated_by_id == user.pk
    return Guide.objects.filter(pk=guide.pk).written_by(user).exists()


def version_token(guide: Guide) -> str:
    """A fingerprint of exactly the content a reviewer sees: publishing is bound to it."""
    raw = json.dumps([guide.pk, snapshot(guide)], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


# --- what may be done now: one table for the services and the admin ---------------------------
@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    perm: str
    statuses: tuple[str, ...]
    needs: str = ""  # "reason" or "note": what the button asks for
    check: Callable[[Guide, object], Exception | None] = lambda guide, user: None
    on_change_page: bool = True
    uses_form: bool = False  # the change form is saved first, so no typed edit is lost


def _original_only(guide, user):
    if guide.is_pending_copy:
        return WorkflowError(_("This is not possible on a pending change."))
    return None


def _no_pending_change(guide, user):
    if guide.is_pending_copy:
        return WorkflowError(_("A pending change is already a draft."))
    if guide.pending_versions.exists():
        return WorkflowError(_("Publish or discard the pending change first."))
    return None


def _has_steps(guide, user):
    if not guide.steps.exists():
        return WorkflowError(_("Add at least one step before submitting the guide for review."))
    return None


def _not_own_change(guide, user):
    if not settings.KB_ALLOW_SELF_PUBLISH and is_own_change(guide, user):
        return PermissionDenied(_("Another reviewer must publish a change you made yourself."))
    return None


def _pending_copy_only(guide, user):
    if not guide.is_pending_copy:
        return WorkflowError(_("Only a pending change can be discarded."))
    return None


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "submit",
            gettext_lazy("Submit for review"),
            PERM_CHANGE,
            (Status.DRAFT,),
            check=_has_steps,
            uses_form=True,
        ),
        Transition(
            "publish",
            gettext_lazy("Publish"),
            PERM_PUBLISH,
            (Status.IN_REVIEW,),
            needs="note",
            check=_not_own_change,
            uses_form=True,
        ),
        Transition(
            "reject",
            gettext_lazy("Send back to draft"),
            PERM_PUBLISH,
            (Status.IN_REVIEW,),
            needs="reason",
            uses_form=True,
        ),
        Transition(
            "edit",
            gettext_lazy("Edit (as a pending change)"),
            PERM_CHANGE,
            (Status.PUBLISHED,),
            check=_original_only,
        ),
        Transition("verify", gettext_lazy("Mark as verified"), PERM_VERIFY, (Status.PUBLISHED,)),
        Transition(
            "archive",
            gettext_lazy("Archive"),
            PERM_PUBLISH,
            (Status.PUBLISHED,),
            needs="reason",
            check=_original_only,
        ),
        Transition(
            "unpublish",
            gettext_lazy("Take off the site (back to draft)"),
            PERM_PUBLISH,
            (Status.PUBLISHED, Status.ARCHIVED),
            needs="reason",
            check=_no_pending_change,
        ),
        Transition(
            "discard",
            gettext_lazy("Discard this change"),
            PERM_CHANGE,
            (Status.DRAFT, Status.IN_REVIEW),
            check=_pending_copy_only,
            uses_form=True,
        ),
        Transition(
            "revert",
            gettext_lazy("Restore as a pending change"),
            PERM_CHANGE,
            (Status.PUBLISHED,),
            check=_no_pending_change,
            on_change_page=False,
        ),
    )
}


def _blocker(name: str, guide: Guide, user) -> Exception | None:
    transition = TRANSITIONS[name]
    if not has_perm(user, transition.perm):
        return PermissionDenied(_("You do not have permission to do this."))
    if guide.status not in transition.statuses:
        return WorkflowError(
            _("This is not possible while the guide is “%(status)s”.")
            % {"status": guide.get_status_display()}
        )
    return transition.check(guide, user)


def _check(name: str, guide: Guide, user) -> None:
    error = _blocker(name, guide, user)
    if error is not None:
        raise error


def is_allowed(name: str, *, guide: Guide, user) -> bool:
    return _blocker(name, guide, user) is None


def blocked_reason(name: str, *, guide: Guide, user) -> str:
    """Why ``user`` may not take the transition ``name`` on ``guide`` now ("" when they may)."""
    error = _blocker(name, guide, user)
    return "" if error is None else str(error) or _("You do not have permission to do this.")


def available_actions(*, guide: Guide, user) -> list[Transition]:
    """The transitions ``user`` may take on ``guide`` now, in the order the page shows them:
    exactly those the services below would carry out."""
    return [
        transition
        for name, transition in TRANSITIONS.items()
        if transition.on_change_page and _blocker(name, guide, user) is None
    ]


# --- the transitions --------------------------------------------------------------------------
def guide_record_created(*, guide: Guide, user, imported: bool = False, note: str = "") -> None:
    _record(
        guide,
        Action.IMPORTED if imported else Action.CREATED,
        user,
        note=note,
        to_status=guide.status,
    )


@transaction.atomic
def guide_record_edit(
    *, guide: Guide, user, changed: list[str], back_to_draft: bool = True
) -> Guide:
    """Call in the transaction that saved an editor's change to ``guide``'s text.

    The editor becomes one of the version's writers. A guide (or pending change) that was in
    review goes back to draft: the reviewer has not seen this text. (``back_to_draft=False``
    only when a reviewer's "send back" follows in the same transaction, with its reason.)
    """
    guide = _lock(guide)
    guide.updated_by = user
    guide.save(update_fields=["updated_by", "updated_at"])
    note = ", ".join(str(name) for name in changed)
    if guide.status == Status.IN_REVIEW and back_to_draft:
        guide.status = Status.DRAFT
        guide.save(update_fields=["status", "updated_at"])
        _record(
            guide,
            Action.EDITED,
            user,
            note=_("Edited while in review, so back to draft: submit it again. Changed: %(what)s")
            % {"what": note},
            from_status=Status.IN_REVIEW,
            to_status=Status.DRAFT,
        )
    else:
        _record(guide, Action.EDITED, user, note=note)
    return guide


def guide_record_correction(*, guide: Guide, user, rewritten: bool, note: str) -> None:
    """Call in the transaction that applied a reader's correction to the pending ``guide``.

    Unchanged, the reader wrote the text and the accepter may still publish it; rewritten, the
    accepter is one of its writers.
    """
    if rewritten:
        guide.updated_by = user
        guide.save(update_fields=["updated_by", "updated_at"])
    _record(guide, Action.EDITED if rewritten else Action.CORRECTION_APPLIED, user, note=note)


def label_for(transition: Transition, guide: Guide) -> str:
    """The button's words for this guide."""
    if transition.name == "edit" and guide.pending_versions.exists():
        return _("Open the pending change")
    if transition.name == "unpublish" and guide.status == Status.ARCHIVED:
        return _("Back to draft")
    return str(transition.label)


@transaction.atomic
def guide_start_change(*, guide: Guide, user) -> Guide:
    """Open (or return the open) pending copy of a published guide for editing."""
    guide = _lock(guide)
    _check("edit", guide, user)
    existing = guide.pending_versions.first()
    if existing is not None:
        return existing
    # Opening a change writes nothing: the copy has no writer until someone edits it.
    copy = Guide(draft_of=guide, status=Status.DRAFT, created_by=user, updated_by=None)
    apply_snapshot(copy, snapshot(guide))
    _record(guide, Action.EDIT_STARTED, user, to_status=Status.DRAFT)
    return copy


@transaction.atomic
def guide_submit(*, guide: Guide, user, note: str = "") -> Guide:
    guide = _lock(guide)
    _check("submit", guide, user)
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
    guide = _lock(guide)
    _check("reject", guide, user)
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
    other = Guide.objects.clashing_with(guide, exclude_pk=target.pk).first()
    if other is not None:
        raise WorkflowError(
            _("“%(title)s” is already published for this topic or address; archive it first.")
            % {"title": other.title}
        )


CHANGED_SINCE_OPENED = gettext_lazy(
    "The guide has changed since you opened it: review it again before publishing."
)


@transaction.atomic
def guide_publish(*, guide: Guide, user, note: str = "", version: str | None = None) -> Guide:
    """Publish a guide in review (or a pending change, onto its live guide). Returns the live guide.

    ``version`` is the ``version_token`` of the content the reviewer's screen showed; when it
    no longer matches, nothing is published.
    """
    guide = _lock(guide)
    _check("publish", guide, user)
    if version is not None and version != version_token(guide):
        raise WorkflowError(str(CHANGED_SINCE_OPENED))
    now = timezone.now()
    pending_copy_id = guide.pk if guide.is_pending_copy else None
    if guide.is_pending_copy:
        target = Guide.objects.select_for_update().get(pk=guide.draft_of_id)
        if target.status != Status.PUBLISHED:
            raise WorkflowError(_("The guide this change belongs to is no longer published."))
        _check_no_conflict(guide, target)
        apply_snapshot(target, snapshot(guide))
        target.updated_by = guide.updated_by or target.updated_by
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
    guide_store_traditional(guide=target)
    number = (target.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = GuideRevision.objects.create(
        guide=target,
        number=number,
        created_by=user,
        note=(note or "").strip()[:300],
        data=snapshot(target),
    )
    images.revision_link_images(revision=revision)
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


def guide_store_traditional(*, guide: Guide) -> None:
    """Convert a Simplified guide's reader-visible text to Traditional Chinese and keep it on
    the guide: what ``/zh-hant/`` shows until the guide is published again."""
    guide.traditional = traditional.guide_converted(guide)
    Guide.objects.filter(pk=guide.pk).update(traditional=guide.traditional)


@transaction.atomic
def guide_archive(*, guide: Guide, user, reason: str = "") -> Guide:
    guide = _lock(guide)
    _check("archive", guide, user)
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
    guide = _lock(guide)
    _check("unpublish", guide, user)
    if not (reason or "").strip():
        raise WorkflowError(_("Say why the guide goes back to draft."))
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
    guide = _lock(guide)
    _check("discard", guide, user)
    live = guide.draft_of
    _record(guide, Action.DISCARDED, user, note=reason)
    guide.delete()
    return live


@transaction.atomic
def guide_verify(*, guide: Guide, user, note: str = "") -> Guide:
    """Record that an editor checked the published guide against the carrier's pages today."""
    guide = _lock(guide)
    _check("verify", guide, user)
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
    live = _lock(revision.guide)
    _check("revert", live, user)
    copy = Guide(draft_of=live, status=Status.DRAFT, created_by=user, updated_by=user)
    apply_snapshot(copy, revision.data)
    _record(
        live,
        Action.REVERTED,
        user,
        note=_("From revision %(number)s") % {"number": revision.number},
    )
    return copy


SERVICES = {
    "submit": lambda guide, user, data: guide_submit(guide=guide, user=user, note=data["note"]),
    "publish": lambda guide, user, data: guide_publish(
        guide=guide, user=user, note=data["note"], version=data["version"]
    ),
    "reject": lambda guide, user, data: guide_reject(guide=guide, user=user, reason=data["reason"]),
    "edit": lambda guide, user, data: guide_start_change(guide=guide, user=user),
    "verify": lambda guide, user, data: guide_verify(guide=guide, user=user, note=data["note"]),
    "archive": lambda guide, user, data: guide_archive(
        guide=guide, user=user, reason=data["reason"]
    ),
    "unpublish": lambda guide, user, data: guide_return_to_draft(
        guide=guide, user=user, reason=data["reason"]
    ),
    "discard": lambda guide, user, data: guide_discard_change(
        guide=guide, user=user, reason=data["reason"]
    ),
}
