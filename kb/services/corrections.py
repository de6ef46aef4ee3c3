"""Reader corrections: submit, review, accept, reject, duplicate, spam, publish, purge.

Every decision checks the user's permission, is atomic and leaves a ``CorrectionEvent``.
Accepting opens (or reuses) the guide's pending change and applies the reader's text to the step
with the same position; the change is then published through the normal workflow, whose
``guide_publish`` calls ``on_guide_published`` to credit the reader in the changelog and send
the one email the reader may have asked for.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kb import ratelimit
from kb.models import ClientHashKey, Correction, CorrectionEvent, Guide, Step
from kb.models.corrections import CODE_ALPHABET, CODE_LENGTH
from kb.services import spam, workflow

logger = logging.getLogger("kb.corrections")

Status = Correction.Status
Kind = Correction.Kind
Action = CorrectionEvent.Action

PERM_VIEW = "kb.view_correction"
PERM_TRIAGE = "kb.triage_correction"
PERM_ACCEPT = "kb.accept_correction"

MAX_TEXT = 5000
MAX_NOTE = 2000
REPEAT_WINDOW = timedelta(hours=24)
REPEAT_LIMIT = 2  # the same text a third time in the window is a flood


class CorrectionError(Exception):
    """A decision that does not apply to the correction in its current state."""


class RateLimited(Exception):
    """The sender (or the guide) is over its rate limit."""


def _require(user, perm: str) -> None:
    if not (user and user.is_active and user.has_perm(perm)):
        raise PermissionDenied(_("You do not have permission to do this."))


def _record(correction, action, user=None, *, note="", from_status="", to_status=""):
    return CorrectionEvent.objects.create(
        correction=correction,
        action=action,
        actor=user,
        note=note,
        from_status=from_status,
        to_status=to_status or correction.status,
    )


def _locked(correction: Correction) -> Correction:
    return Correction.objects.select_for_update().select_related("guide").get(pk=correction.pk)


def _require_status(correction: Correction, *allowed: str) -> None:
    if correction.status not in allowed:
        raise CorrectionError(
            _("This is not possible while the correction is “%(status)s”.")
            % {"status": correction.get_status_display()}
        )


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _fingerprint(text: str) -> str:
    return hashlib.sha256(spam.fingerprint_source(text).encode()).hexdigest()


# --- submitting -----------------------------------------------------------------------------
def check_rate_limits(*, client_hash: str, guide: Guide) -> None:
    """Count one submission against the sender's and the guide's limits (RateLimited if over)."""
    client_rate = ratelimit.parse_rate(settings.KB_CORRECTION_RATE)
    guide_rate = ratelimit.parse_rate(settings.KB_CORRECTION_GUIDE_RATE)
    if client_hash and not ratelimit.hit("correction-sender", client_hash, client_rate):
        raise RateLimited("sender")
    if not ratelimit.hit("correction-guide", str(guide.pk), guide_rate):
        raise RateLimited("guide")


def correction_submit(
    *,
    guide: Guide,
    step: Step | None,
    kind: str,
    proposed_text: str,
    language: str,
    evidence_url: str = "",
    tried_on=None,
    plan_type: str = "",
    email: str = "",
    client_hash: str = "",
    flags: list[dict] | tuple = (),
) -> Correction:
    """Store a reader's report (with status ``spam`` and the reasons when it looks like spam).

    Raises RateLimited before anything is stored when the sender or the guide is over its limit.
    """
    live = Guide.objects.published().filter(pk=guide.pk).first()
    if live is None:
        raise CorrectionError(_("This guide is not published."))
    if step is not None and step.guide_id != live.pk:
        raise CorrectionError(_("This step does not belong to the guide."))
    proposed_text = (proposed_text or "").replace("\r\n", "\n").strip()
    if not proposed_text or len(proposed_text) > MAX_TEXT or "\x00" in proposed_text:
        raise CorrectionError(_("The proposed text is empty, too long or not valid text."))
    check_rate_limits(client_hash=client_hash, guide=live)

    current_text = step.body if step is not None else ""
    reasons = list(flags)
    reasons += spam.check(
        proposed_text=proposed_text,
        current_text=current_text,
        evidence_url=evidence_url,
        kind=kind,
    )
    fingerprint = _fingerprint(proposed_text)
    with transaction.atomic():
        repeats = Correction.objects.filter(
            fingerprint=fingerprint, created_at__gte=timezone.now() - REPEAT_WINDOW
        ).count()
        if repeats >= REPEAT_LIMIT:
            reasons.append({"rule": "repeated_submission", "match": f"{repeats + 1}×"})
        correction = Correction(
            guide=live,
            step_position=step.position if step is not None else None,
            step_title=step.title if step is not None else "",
            current_text=current_text,
            kind=kind,
            proposed_text=proposed_text,
            evidence_url=evidence_url or "",
            tried_on=tried_on,
            plan_type=plan_type or "",
            email=(email or "").strip(),
            language=language,
            status=Status.SPAM if reasons else Status.RECEIVED,
            spam_reasons=reasons,
            client_hash=client_hash,
            fingerprint=fingerprint,
        )
        _save_with_new_code(correction)
        _record(correction, Action.SUBMITTED, to_status=Status.RECEIVED)
        if reasons:
            rules = ", ".join(sorted({r["rule"] for r in reasons}))
            _record(correction, Action.FLAGGED, note=rules, from_status=Status.RECEIVED)
    logger.info(
        "correction %s received guide=%s status=%s", correction.code, live.pk, correction.status
    )
    return correction


def _save_with_new_code(correction: Correction, attempts: int = 8) -> None:
    for _attempt in range(attempts):
        correction.code = new_code()
        try:
            with transaction.atomic():
                correction.save()
            return
        except IntegrityError:
            if not Correction.objects.filter(code=correction.code).exists():
                raise
    raise IntegrityError("could not find a free reference code")


# --- triage ---------------------------------------------------------------------------------
def _decide(correction, user, status, action, *, note="", reason="", duplicate_of=None):
    previous = correction.status
    correction.status = status
    correction.decided_at = timezone.now()
    correction.decided_by = user
    correction.reject_reason = reason
    correction.decision_note = note
    correction.duplicate_of = duplicate_of
    correction.save()
    _record(correction, action, user, note=note, from_status=previous, to_status=status)
    return correction


def _clean_note(note: str) -> str:
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        raise CorrectionError(_("The note is too long (at most 2000 characters)."))
    return note


@transaction.atomic
def correction_start_review(*, correction: Correction, user) -> Correction:
    _require(user, PERM_TRIAGE)
    correction = _locked(correction)
    _require_status(correction, Status.RECEIVED)
    correction.status = Status.REVIEWING
    correction.save(update_fields=["status", "updated_at"])
    _record(correction, Action.REVIEW_STARTED, user, from_status=Status.RECEIVED)
    return correction


@transaction.atomic
def correction_reject(*, correction: Correction, user, reason: str, note: str = "") -> Correction:
    """Reject with a reason from the list and a note; both are shown on the status page."""
    _require(user, PERM_TRIAGE)
    if reason not in Correction.RejectReason.values:
        raise CorrectionError(_("Choose a reason from the list."))
    note = _clean_note(note)
    correction = _locked(correction)
    _require_status(correction, Status.RECEIVED, Status.REVIEWING, Status.SPAM)
    _decide(correction, user, Status.REJECTED, Action.REJECTED, note=note, reason=reason)
    _notify_on_commit(correction)
    return correction


@transaction.atomic
def correction_mark_duplicate(
    *, correction: Correction, user, original: Correction, note: str = ""
) -> Correction:
    _require(user, PERM_TRIAGE)
    note = _clean_note(note)
    correction = _locked(correction)
    _require_status(correction, Status.RECEIVED, Status.REVIEWING, Status.SPAM)
    original = Correction.objects.select_related("duplicate_of").get(pk=original.pk)
    while original.status == Status.DUPLICATE and original.duplicate_of_id:
        original = original.duplicate_of
    if original.pk == correction.pk:
        raise CorrectionError(_("A correction cannot be a duplicate of itself."))
    if original.status == Status.SPAM:
        raise CorrectionError(_("A correction cannot be a duplicate of spam."))
    if original.guide_id != correction.guide_id:
        raise CorrectionError(_("The original report is about another guide."))
    _decide(correction, user, Status.DUPLICATE, Action.DUPLICATE, note=note, duplicate_of=original)
    _notify_on_commit(correction)
    return correction


@transaction.atomic
def correction_mark_spam(*, correction: Correction, user, note: str = "") -> Correction:
    """Confirm as spam (also a report the rules flagged). Nobody is notified."""
    _require(user, PERM_TRIAGE)
    note = _clean_note(note)
    correction = _locked(correction)
    _require_status(correction, Status.RECEIVED, Status.REVIEWING, Status.SPAM)
    if correction.status == Status.SPAM and correction.decided_at:
        raise CorrectionError(_("This correction is already marked as spam."))
    reason = Correction.RejectReason.NOT_A_CORRECTION
    return _decide(correction, user, Status.SPAM, Action.SPAM, note=note, reason=reason)


@transaction.atomic
def correction_rescue(*, correction: Correction, user) -> Correction:
    """Not spam after all: back in the queue as received (the rules' reasons stay on record)."""
    _require(user, PERM_TRIAGE)
    correction = _locked(correction)
    _require_status(correction, Status.SPAM)
    correction.status = Status.RECEIVED
    correction.decided_at = None
    correction.decided_by = None
    correction.reject_reason = ""
    correction.decision_note = ""
    correction.save()
    _record(correction, Action.RESCUED, user, from_status=Status.SPAM)
    return correction


# --- accepting ------------------------------------------------------------------------------
def pending_change_of(correction: Correction) -> Guide | None:
    """The pending copy the correction was applied to, while it exists."""
    if not correction.pending_change_ref:
        return None
    return Guide.objects.filter(
        pk=correction.pending_change_ref, draft_of_id=correction.guide_id
    ).first()


def _same_text(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


def _reported_step_in(copy: Guide, correction: Correction) -> Step | None:
    """The step of the pending copy that the reader saw, found by its text, not its number:
    an editor may have inserted or moved steps in the pending change since."""
    steps = list(copy.steps.all())
    for same in (
        lambda s: _same_text(s.body, correction.current_text),
        lambda s: s.title == correction.step_title,
    ):
        found = [s for s in steps if same(s)]
        if len(found) == 1:
            return found[0]
        at_position = [s for s in found if s.position == correction.step_position]
        if len(at_position) == 1:
            return at_position[0]
    return None


def _insert_step_after(copy: Guide, position: int, text: str) -> Step:
    steps = copy.steps.filter(position__gt=position)
    steps.update(position=F("position") + 10_000)
    copy.steps.filter(position__gt=10_000).update(position=F("position") - 10_000 + 1)
    first_line = text.strip().splitlines()[0].lstrip("#>*-0123456789. ").strip()
    title = (first_line or _("New step"))[:80]
    step = Step(guide=copy, position=position + 1, title=title, body=text)
    step.save()
    return step


@transaction.atomic
def correction_accept(
    *, correction: Correction, user, text: str | None = None, submit: bool = True, note: str = ""
) -> Guide:
    """Open the guide's pending change with the text applied to the step; returns the copy.

    ``text`` is the reviewer's improved version (default: the reader's). A missing step is
    inserted after the step the reader chose; a report about the whole guide is applied by hand
    in the pending change. With ``submit`` the change goes to review, where another reviewer
    publishes it.
    """
    _require(user, PERM_ACCEPT)
    note = _clean_note(note)
    correction = _locked(correction)
    # An accepted correction whose pending change was discarded may be accepted again.
    if not (correction.status == Status.ACCEPTED and pending_change_of(correction) is None):
        _require_status(correction, Status.RECEIVED, Status.REVIEWING)
    text = (correction.proposed_text if text is None else text).replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_TEXT or "\x00" in text:
        raise CorrectionError(_("The text to apply is empty or too long."))
    live = Guide.objects.select_for_update().get(pk=correction.guide_id)
    if live.status != Guide.Status.PUBLISHED or live.draft_of_id:
        raise CorrectionError(_("The guide is no longer published."))
    copy = workflow.guide_start_change(guide=live, user=user)
    if copy.status != Guide.Status.DRAFT:
        raise CorrectionError(
            _("The guide's pending change is in review: publish it or send it back to draft first.")
        )

    position = correction.step_position
    if position:
        step = _reported_step_in(copy, correction)
        if step is None:
            raise CorrectionError(
                _(
                    "The step the reader reported has changed in the pending change: apply the text by hand."
                )
            )
    if position and correction.kind == Kind.MISSING:
        _insert_step_after(copy, step.position, text)
        applied = _("Inserted as a new step after step %(n)s.") % {"n": step.position}
    elif position:
        step.body = text
        step.save()
        applied = _("Applied to step %(n)s.") % {"n": step.position}
    else:
        applied = _("Not tied to a step: apply it by hand in the pending change.")
    copy.updated_by = user
    copy.save()

    previous = correction.status
    correction.status = Status.ACCEPTED
    correction.decided_at = timezone.now()
    correction.decided_by = user
    correction.reject_reason = ""
    correction.decision_note = note
    correction.pending_change_ref = copy.pk
    correction.save()
    detail = applied
    if text != correction.proposed_text:
        detail += " " + _("Applied with the reviewer's changes:") + "\n" + text
    _record(correction, Action.ACCEPTED, user, note=detail, from_status=previous)
    if submit:
        copy = workflow.guide_submit(
            guide=copy,
            user=user,
            note=_("Reader's correction %(code)s") % {"code": correction.display_code},
        )
    return copy


# --- publishing and notifying ----------------------------------------------------------------
def on_guide_published(*, guide: Guide, pending_copy_id: int | None, revision) -> list[Correction]:
    """Called by ``workflow.guide_publish`` in its transaction, after the revision is written.

    Corrections accepted into the published copy are marked published, the revision's public
    note credits "a reader's correction", and readers who left an email get one message.
    """
    if pending_copy_id is None:
        return []
    accepted = list(
        Correction.objects.select_for_update().filter(
            guide=guide, pending_change_ref=pending_copy_id, status=Status.ACCEPTED
        )
    )
    if not accepted:
        return []
    with translation.override(guide.language):
        credit = ngettext(
            "Includes a reader's correction",
            "Includes %(count)d readers' corrections",
            len(accepted),
        ) % {"count": len(accepted)}
    separator = "；" if guide.language.startswith("zh") else "; "
    room = 300 - len(credit) - len(separator)
    existing = (revision.note or "").strip().rstrip(";；")
    revision.note = f"{existing[:room]}{separator}{credit}" if existing else credit
    revision.save(update_fields=["note"])
    now = timezone.now()
    for correction in accepted:
        correction.status = Status.PUBLISHED
        correction.revision = revision
        correction.published_at = now
        correction.save(update_fields=["status", "revision", "published_at", "updated_at"])
        _record(
            correction,
            Action.PUBLISHED,
            revision.created_by,
            note=_("Revision %(number)s") % {"number": revision.number},
            from_status=Status.ACCEPTED,
        )
        _notify_on_commit(correction)
    return accepted


def _notify_on_commit(correction: Correction) -> None:
    if correction.email and not correction.notified_at:
        pk = correction.pk
        transaction.on_commit(lambda: correction_notify(correction_id=pk))


EMAIL_TEMPLATES = {
    Status.PUBLISHED: "kb/corrections/email/published",
    Status.REJECTED: "kb/corrections/email/rejected",
    Status.DUPLICATE: "kb/corrections/email/duplicate",
}


def status_url(correction: Correction) -> str:
    return f"{settings.KB_SITE_URL}{correction.get_absolute_url()}"


def correction_notify(*, correction_id: int) -> bool:
    """Send the reader's one message about the outcome; True when sent.

    Runs after the decision is committed; a failed send is logged (without the address) and
    leaves the correction un-notified.
    """
    correction = Correction.objects.select_related("guide", "duplicate_of").get(pk=correction_id)
    template = EMAIL_TEMPLATES.get(correction.status)
    if template is None or not correction.email or correction.notified_at:
        return False
    with translation.override(correction.language):
        context = {
            "correction": correction,
            "guide": correction.guide,
            "status_url": status_url(correction),
            "guide_url": f"{settings.KB_SITE_URL}{correction.guide.get_absolute_url()}",
            "reason": correction.get_reject_reason_display() if correction.reject_reason else "",
            "site_name": settings.SITE_NAME,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    try:
        send_mail(subject, body, None, [correction.email], fail_silently=False)
    except Exception as exc:  # the mail server is down: keep the address, try nothing else
        logger.warning(
            "correction %s: notification failed: %s", correction.code, type(exc).__name__
        )
        return False
    with transaction.atomic():
        Correction.objects.filter(pk=correction.pk).update(notified_at=timezone.now())
        _record(correction, Action.NOTIFIED)
    logger.info("correction %s: reader notified", correction.code)
    return True


# --- personal data --------------------------------------------------------------------------
RESOLVED_NOTIFIED = (Status.PUBLISHED, Status.REJECTED, Status.DUPLICATE)


def personal_data_purge(*, now=None, days: int | None = None, dry_run: bool = False) -> dict:
    """Erase reporters' emails and sender keys that are no longer needed.

    * an email once its correction is resolved and the reader was told (published, rejected or
      duplicate, and notified), once it was confirmed as spam, and in any case after ``days``;
    * sender hashes after ``days``, and the period keys that made them (so older hashes cannot
      be linked to an address even with the secret key).
    """
    now = now or timezone.now()
    days = settings.KB_PERSONAL_DATA_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    emails = Correction.objects.exclude(email="").filter(
        Q(status__in=RESOLVED_NOTIFIED, notified_at__isnull=False)
        | Q(status=Status.SPAM, decided_at__isnull=False)
        | Q(created_at__lt=cutoff)
    )
    hashes = Correction.objects.exclude(client_hash="").filter(created_at__lt=cutoff)
    # A period's key goes once the whole period is older than the cutoff.
    keys = ClientHashKey.objects.filter(period__lt=ratelimit.current_period(cutoff.timestamp()))
    result = {"emails": emails.count(), "hashes": hashes.count(), "keys": keys.count()}
    if dry_run:
        return result
    with transaction.atomic():
        email_ids = list(emails.values_list("pk", flat=True))
        Correction.objects.filter(pk__in=email_ids).update(email="", personal_data_purged_at=now)
        hash_ids = list(hashes.values_list("pk", flat=True))
        Correction.objects.filter(pk__in=hash_ids).update(
            client_hash="", personal_data_purged_at=now
        )
        keys.delete()
        CorrectionEvent.objects.bulk_create(
            [
                CorrectionEvent(correction_id=pk, action=Action.PURGED, at=now, note=what)
                for ids, what in ((email_ids, "email"), (hash_ids, "sender key"))
                for pk in ids
            ]
        )
    logger.info(
        "personal data purged: %s emails, %s sender keys, %s period keys",
        result["emails"],
        result["hashes"],
        result["keys"],
    )
    return result
