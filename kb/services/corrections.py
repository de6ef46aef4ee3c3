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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kb import ratelimit, site, traditional
from kb.models import ClientHashKey, Correction, CorrectionEvent, Guide, Step
from kb.models.corrections import CODE_ALPHABET, CODE_LENGTH
from kb.services import images, spam, workflow
from kb.services._common import has_perm, lock, make_room, require_perm, same_text

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
    return lock(
        Correction.objects.select_related("guide"),
        correction.pk,
        CorrectionError(_("This correction no longer exists.")),
    )


# --- what may be decided now: one table for the services and the admin ----------------------
@dataclass(frozen=True)
class Decision:
    name: str
    label: str
    perm: str
    statuses: tuple[str, ...]
    check: Callable[[Correction], Exception | None] = lambda correction: None


TRIAGE_STATUSES = (Status.RECEIVED, Status.REVIEWING, Status.SPAM)


def _not_confirmed_spam(correction):
    if correction.status == Status.SPAM and correction.decided_at:
        return CorrectionError(_("This correction is already marked as spam."))
    return None


def _acceptable(correction):
    # An accepted correction whose pending change was discarded may be accepted again.
    if correction.status == Status.ACCEPTED and pending_change_of(correction) is not None:
        return CorrectionError(_("The correction is already in the guide's pending change."))
    guide = correction.guide
    if guide.status != Guide.Status.PUBLISHED or guide.draft_of_id:
        return CorrectionError(_("The guide is no longer published."))
    if guide.pending_versions.filter(status=Guide.Status.IN_REVIEW).exists():
        return CorrectionError(
            _("The guide's pending change is in review: publish it or send it back to draft first.")
        )
    return None


DECISIONS = {
    d.name: d
    for d in (
        Decision("review", gettext_lazy("Start review"), PERM_TRIAGE, (Status.RECEIVED,)),
        Decision(
            "accept",
            gettext_lazy("Accept"),
            PERM_ACCEPT,
            (Status.RECEIVED, Status.REVIEWING, Status.ACCEPTED),
            check=_acceptable,
        ),
        Decision("reject", gettext_lazy("Reject"), PERM_TRIAGE, TRIAGE_STATUSES),
        Decision("duplicate", gettext_lazy("Mark as duplicate"), PERM_TRIAGE, TRIAGE_STATUSES),
        Decision(
            "spam",
            gettext_lazy("Mark as spam"),
            PERM_TRIAGE,
            TRIAGE_STATUSES,
            check=_not_confirmed_spam,
        ),
        Decision("rescue", gettext_lazy("Not spam"), PERM_TRIAGE, (Status.SPAM,)),
    )
}


def _blocker(name: str, correction: Correction, user) -> Exception | None:
    decision = DECISIONS[name]
    if not has_perm(user, decision.perm):
        return PermissionDenied(_("You do not have permission to do this."))
    if correction.status not in decision.statuses:
        return CorrectionError(
            _("This is not possible while the correction is “%(status)s”.")
            % {"status": correction.get_status_display()}
        )
    return decision.check(correction)


def _check(name: str, correction: Correction, user) -> None:
    error = _blocker(name, correction, user)
    if error is not None:
        raise error


def correction_available_actions(*, correction: Correction, user) -> list[Decision]:
    """The decisions ``user`` may take on ``correction`` now: exactly those the services carry
    out (input such as a reason or an original's code is checked when it is given)."""
    return [d for name, d in DECISIONS.items() if _blocker(name, correction, user) is None]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _fingerprint(text: str) -> str:
    return hashlib.sha256(spam.fingerprint_source(text).encode()).hexdigest()


# --- submitting -----------------------------------------------------------------------------
def _within(scope: str, ident: str, rate, recent) -> bool:
    """One hit against a limit; when the cache cannot answer, the stored corrections do (the
    queryset ``recent`` filtered to the window), so a cache outage neither refuses every post
    nor lets a flood through."""
    allowed = ratelimit.hit(scope, ident, rate, on_error=None)
    if allowed is None:
        since = timezone.now() - timedelta(seconds=rate.seconds)
        allowed = recent.filter(created_at__gte=since).count() < rate.count
    return allowed


def rate_limit_reasons(*, client_hash: str, guide: Guide, spam_reasons) -> list[dict]:
    """Count one submission against the sender's and the guide's limits; the reasons it is over.

    Every post counts against its sender. Only posts that are not spam count against the guide,
    so a spammer cannot use up a guide's budget and shut its corrections off for everyone."""
    client_rate = ratelimit.parse_rate(settings.KB_CORRECTION_RATE)
    guide_rate = ratelimit.parse_rate(settings.KB_CORRECTION_GUIDE_RATE)
    if client_rate and client_hash:
        sender_posts = Correction.objects.filter(client_hash=client_hash)
        if not _within("correction-sender", client_hash, client_rate, sender_posts):
            return [{"rule": "rate_limited", "match": "sender"}]
    if guide_rate and not spam_reasons:
        guide_posts = Correction.objects.filter(guide=guide).exclude(status=Status.SPAM)
        if not _within("correction-guide", str(guide.pk), guide_rate, guide_posts):
            return [{"rule": "rate_limited", "match": "guide"}]
    return []


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
    screenshot=None,
) -> Correction:
    """Store a reader's report (with status ``spam`` and the reasons when it looks like spam).

    A post over a rate limit is stored too, as spam with the reason ``rate_limited``: nothing a
    reader sent is dropped, and the reader sees the same thank-you page either way.
    """
    live = Guide.objects.published().filter(pk=guide.pk).first()
    if live is None:
        raise CorrectionError(_("This guide is not published."))
    if step is not None and step.guide_id != live.pk:
        raise CorrectionError(_("This step does not belong to the guide."))
    proposed_text = (proposed_text or "").replace("\r\n", "\n").strip()
    if not proposed_text or len(proposed_text) > MAX_TEXT or "\x00" in proposed_text:
        raise CorrectionError(_("The proposed text is empty, too long or not valid text."))
    current_text = step.body if step is not None else ""
    reasons = list(flags)
    reasons += spam.check(
        proposed_text=proposed_text,
        current_text=current_text,
        evidence_url=evidence_url,
        kind=kind,
    )
    fingerprint = _fingerprint(proposed_text)
    repeats = Correction.objects.filter(
        fingerprint=fingerprint, created_at__gte=timezone.now() - REPEAT_WINDOW
    ).count()
    if repeats >= REPEAT_LIMIT:
        reasons.append({"rule": "repeated_submission", "match": f"{repeats + 1}×"})
    reasons += rate_limit_reasons(client_hash=client_hash, guide=live, spam_reasons=reasons)
    screenshot_name = images.evidence_store(processed=screenshot) if screenshot else ""
    try:
        correction = _store_submission(
            Correction(
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
                screenshot=screenshot_name,
            )
        )
    except Exception:
        images.evidence_delete(name=screenshot_name)  # nothing refers to it
        raise
    logger.info(
        "correction %s received guide=%s status=%s", correction.code, live.pk, correction.status
    )
    return correction


def _store_submission(correction: Correction) -> Correction:
    reasons = correction.spam_reasons
    with transaction.atomic():
        _save_with_new_code(correction)
        _record(correction, Action.SUBMITTED, to_status=Status.RECEIVED)
        if reasons:
            rules = ", ".join(sorted({r["rule"] for r in reasons}))
            _record(correction, Action.FLAGGED, note=rules, from_status=Status.RECEIVED)
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
    require_perm(user, PERM_TRIAGE)
    correction = _locked(correction)
    _check("review", correction, user)
    correction.status = Status.REVIEWING
    correction.save(update_fields=["status", "updated_at"])
    _record(correction, Action.REVIEW_STARTED, user, from_status=Status.RECEIVED)
    return correction


@transaction.atomic
def correction_reject(*, correction: Correction, user, reason: str, note: str = "") -> Correction:
    """Reject with a reason from the list and a note; both are shown on the status page."""
    require_perm(user, PERM_TRIAGE)
    if reason not in Correction.RejectReason.values:
        raise CorrectionError(_("Choose a reason from the list."))
    note = _clean_note(note)
    correction = _locked(correction)
    _check("reject", correction, user)
    _decide(correction, user, Status.REJECTED, Action.REJECTED, note=note, reason=reason)
    _notify_on_commit(correction)
    return correction


@transaction.atomic
def correction_mark_duplicate(
    *, correction: Correction, user, original: Correction, note: str = ""
) -> Correction:
    require_perm(user, PERM_TRIAGE)
    note = _clean_note(note)
    correction = _locked(correction)
    _check("duplicate", correction, user)
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
    require_perm(user, PERM_TRIAGE)
    note = _clean_note(note)
    correction = _locked(correction)
    _check("spam", correction, user)
    reason = Correction.RejectReason.NOT_A_CORRECTION
    return _decide(correction, user, Status.SPAM, Action.SPAM, note=note, reason=reason)


@transaction.atomic
def correction_rescue(*, correction: Correction, user) -> Correction:
    """Not spam after all: back in the queue as received (the rules' reasons stay on record)."""
    require_perm(user, PERM_TRIAGE)
    correction = _locked(correction)
    _check("rescue", correction, user)
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


def _reported_step_in(copy: Guide, correction: Correction) -> Step | None:
    """The step of the pending copy that the reader saw, found by its text, not its number:
    an editor may have inserted or moved steps in the pending change since."""
    steps = list(copy.steps.all())
    for same in (
        lambda s: same_text(s.body, correction.current_text),
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
    make_room(copy.steps.all(), position + 1)
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
    in the pending change. With ``submit`` the change goes to review. Whoever accepts (an
    editor or a reviewer) has not written the reader's text: a reviewer may publish it, unless
    they rewrote it (``text`` differs), which makes them one of its writers.
    """
    require_perm(user, PERM_ACCEPT)
    note = _clean_note(note)
    correction = _locked(correction)
    live = Guide.objects.select_for_update().get(pk=correction.guide_id)
    correction.guide = live
    _check("accept", correction, user)
    text = (correction.proposed_text if text is None else text).replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_TEXT or "\x00" in text:
        raise CorrectionError(_("The text to apply is empty or too long."))
    copy = workflow.guide_start_change(guide=live, user=user)

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
    # Who wrote the text decides who may publish it: the reader, unless the accepter rewrote it.
    rewritten = bool(position) and not same_text(text, correction.proposed_text)
    workflow.guide_record_correction(
        guide=copy,
        user=user,
        rewritten=rewritten,
        note=_("Reader's correction %(code)s: %(applied)s")
        % {"code": correction.display_code, "applied": applied},
    )

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
        from kb import background, tasks

        background.enqueue(tasks.correction_notify, correction_id=correction.pk)


EMAIL_TEMPLATES = {
    Status.PUBLISHED: "kb/corrections/email/published",
    Status.REJECTED: "kb/corrections/email/rejected",
    Status.DUPLICATE: "kb/corrections/email/duplicate",
}


def status_url(correction: Correction) -> str:
    return f"{site.site_url()}{correction.get_absolute_url()}"


class NotificationError(Exception):
    """The reader's email could not be sent (the message never holds the address)."""


def correction_notify(*, correction_id: int, raise_errors: bool = False) -> bool:
    """Send the reader's one message about the outcome; True when sent.

    Runs as a background task after the decision is committed; a failed send is logged
    (without the address), leaves the correction un-notified and, with ``raise_errors``,
    raises so that the task is retried.
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
            "guide_url": f"{site.site_url()}{correction.guide.get_absolute_url()}",
            "reason": correction.get_reject_reason_display() if correction.reject_reason else "",
            "site_name": settings.SITE_NAME,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
        if traditional.is_traditional(correction.language):  # the guide's title, too
            subject, body = traditional.to_traditional(subject), traditional.to_traditional(body)
    try:
        send_mail(subject, body, None, [correction.email], fail_silently=False)
    except Exception as exc:  # the mail server is down: keep the address, try nothing else
        logger.warning(
            "correction %s: notification failed: %s", correction.code, type(exc).__name__
        )
        if raise_errors:  # the task's record keeps the error: never with the address in it
            detail = str(exc).replace(correction.email, "<address>")
            raise NotificationError(f"{type(exc).__name__}: {detail}"[:500]) from None
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
      be linked to an address even with the secret key);
    * the "did this work?" and guide-request reader keys after ``days`` (made with the same
      period keys, kb.services.feedback.reader_key).
    """
    from kb.services.feedback import reader_keys_purge

    now = now or timezone.now()
    days = settings.KB_PERSONAL_DATA_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    emails = Correction.objects.exclude(email="").filter(
        Q(status__in=RESOLVED_NOTIFIED, notified_at__isnull=False)
        | Q(status=Status.SPAM, decided_at__isnull=False)
        | Q(created_at__lt=cutoff)
    )
    hashes = Correction.objects.exclude(client_hash="").filter(created_at__lt=cutoff)
    # A screenshot is needed only until the report is decided (and published, if accepted).
    screenshots = Correction.objects.exclude(screenshot="").filter(
        Q(status__in=RESOLVED_NOTIFIED)
        | Q(status=Status.SPAM, decided_at__isnull=False)
        | Q(created_at__lt=cutoff)
    )
    # A period's key goes once the whole period is older than the cutoff.
    keys = ClientHashKey.objects.filter(period__lt=ratelimit.current_period(cutoff.timestamp()))
    result = {
        "emails": emails.count(),
        "hashes": hashes.count(),
        "keys": keys.count(),
        "screenshots": screenshots.count(),
    }
    if dry_run:
        result["reader_keys"] = reader_keys_purge(cutoff=cutoff, dry_run=True)
        return result
    with transaction.atomic():
        result["reader_keys"] = reader_keys_purge(cutoff=cutoff)
        email_ids = list(emails.values_list("pk", flat=True))
        Correction.objects.filter(pk__in=email_ids).update(email="", personal_data_purged_at=now)
        hash_ids = list(hashes.values_list("pk", flat=True))
        Correction.objects.filter(pk__in=hash_ids).update(
            client_hash="", personal_data_purged_at=now
        )
        keys.delete()
        shots = dict(screenshots.values_list("pk", "screenshot"))
        Correction.objects.filter(pk__in=shots).update(screenshot="", personal_data_purged_at=now)
        for name in shots.values():
            transaction.on_commit(lambda name=name: images.evidence_delete(name=name))
        CorrectionEvent.objects.bulk_create(
            [
                CorrectionEvent(correction_id=pk, action=Action.PURGED, at=now, note=what)
                for ids, what in (
                    (email_ids, "email"),
                    (hash_ids, "sender key"),
                    (list(shots), "screenshot"),
                )
                for pk in ids
            ]
        )
    logger.info(
        "personal data purged: %s emails, %s sender keys, %s period keys, %s screenshots, "
        "%s reader keys",
        result["emails"],
        result["hashes"],
        result["keys"],
        result["screenshots"],
        result["reader_keys"],
    )
    return result
