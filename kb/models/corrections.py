"""Reader corrections: a reader reports a wrong step without an account; editors decide.

A correction is never dropped: suspicious ones are stored with status ``spam`` and the reasons
found, so an editor can rescue a false positive. Personal data is kept to the minimum and for a
limited time (see ``purge_personal_data``): an optional email for one reply, and a keyed hash
of the sender's address that rotates (``ClientHashKey``).
"""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kb.models.guides import Guide, GuideRevision, ReaderLanguage

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def normalize_code(raw: str) -> str | None:
    """A reference code as typed by a reader (any case, with or without a dash), or None."""
    code = (raw or "").strip().upper().replace("-", "").replace(" ", "")
    return code if CODE_RE.match(code) else None


class CorrectionQuerySet(models.QuerySet):
    def waiting(self):
        """Reports an editor still has to decide on."""
        return self.filter(status__in=Correction.OPEN_STATUSES)

    def flagged_unchecked(self):
        """Marked as spam by the rules and not yet looked at by an editor."""
        return self.filter(status=Correction.Status.SPAM, decided_at__isnull=True)

    def about_step(self, guide_id, position):
        return self.filter(guide_id=guide_id, step_position=position)


class Correction(models.Model):
    class Kind(models.TextChoices):
        OUTDATED = "outdated", _("The step is out of date")
        WRONG = "wrong", _("The step is wrong")
        MISSING = "missing", _("A step is missing")
        CONTACT = "contact", _("Contact details have changed")
        DIFFERENT = "different", _("The guide worked differently for me")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        REVIEWING = "reviewing", _("Under review")
        ACCEPTED = "accepted", _("Accepted")
        PUBLISHED = "published", _("Accepted and published")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Duplicate")
        SPAM = "spam", _("Spam")

    class PlanType(models.TextChoices):
        PREPAID = "prepaid", _("Prepaid (pay as you go)")
        CONTRACT = "contract", _("Monthly plan or contract")
        BUSINESS = "business", _("Business plan")
        DATA_ONLY = "data_only", _("Data-only or travel eSIM")
        UNKNOWN = "unknown", _("Not sure")

    class RejectReason(models.TextChoices):
        NOT_REPRODUCIBLE = "not_reproducible", _("We could not confirm it")
        ALREADY_FIXED = "already_fixed", _("The guide has already been corrected")
        INCORRECT = "incorrect", _("The proposed text is not correct")
        OUT_OF_SCOPE = "out_of_scope", _("Outside what this guide covers")
        UNCLEAR = "unclear", _("We could not tell what should change")
        NOT_A_CORRECTION = "not_a_correction", _("Not a correction")

    # Still to be decided by an editor: the queue, the guide list's count, the dashboard.
    OPEN_STATUSES = (Status.RECEIVED, Status.REVIEWING)

    code = models.CharField(
        _("reference code"), max_length=CODE_LENGTH, unique=True, editable=False
    )
    guide = models.ForeignKey(
        Guide,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("guide"),
        help_text=_("The published guide the reader was reading."),
    )
    step_position = models.PositiveSmallIntegerField(
        _("step"),
        null=True,
        blank=True,
        help_text=_("Empty when the report is about the whole guide."),
    )
    step_title = models.CharField(_("step title when reported"), max_length=200, blank=True)
    current_text = models.TextField(
        _("step text when reported"),
        blank=True,
        help_text=_("What the reader saw, kept because steps change when the guide is edited."),
    )
    kind = models.CharField(_("what is wrong"), max_length=12, choices=Kind)
    proposed_text = models.TextField(
        _("proposed text"),
        max_length=5000,
        help_text=_("Change the text so that it is right. Markdown works as in the guide."),
    )
    evidence_url = models.URLField(
        _("evidence link"),
        max_length=500,
        blank=True,
        help_text=_("Optional: the carrier's page or announcement that shows the change."),
    )
    screenshot = models.FileField(
        _("screenshot"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_(
            "Optional, re-encoded without metadata; only staff see it. Erased with the "
            "reader's other personal data."
        ),
    )
    tried_on = models.DateField(
        _("date you tried it"), null=True, blank=True, help_text=_("Optional.")
    )
    plan_type = models.CharField(
        _("your plan type"), max_length=12, choices=PlanType, blank=True, help_text=_("Optional.")
    )
    email = models.EmailField(
        _("email for a reply"),
        blank=True,
        help_text=_(
            "Optional. Used only to tell you once what became of this report, then deleted. "
            "Never shown or shared."
        ),
    )
    language = models.CharField(_("reader's language"), max_length=8, choices=ReaderLanguage)

    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.RECEIVED, db_index=True
    )
    spam_reasons = models.JSONField(_("why it looks like spam"), default=list, blank=True)
    client_hash = models.CharField(
        _("sender key"),
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("A keyed hash of the sender's address (never the address); erased over time."),
    )
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        editable=False,
    )
    reject_reason = models.CharField(
        _("reason"), max_length=20, choices=RejectReason, blank=True, editable=False
    )
    decision_note = models.TextField(
        _("note to the reader"),
        max_length=2000,
        blank=True,
        editable=False,
        help_text=_("Shown on the public status page."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        editable=False,
    )
    pending_change_ref = models.BigIntegerField(
        _("pending change"),
        null=True,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("The pending copy of the guide opened when the correction was accepted."),
    )
    revision = models.ForeignKey(
        GuideRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("published in revision"),
        editable=False,
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    notified_at = models.DateTimeField(_("reader notified"), null=True, blank=True, editable=False)
    personal_data_purged_at = models.DateTimeField(
        _("personal data erased"), null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("reader correction")
        verbose_name_plural = _("reader corrections")
        permissions = (
            ("triage_correction", _("Can triage reader corrections (review, reject, spam)")),
            ("accept_correction", _("Can accept reader corrections")),
        )
        constraints = (
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="correction_duplicate_has_original",
            ),
            models.CheckConstraint(
                condition=Q(step_position__isnull=True) | Q(step_position__gte=1),
                name="correction_step_position_from_one",
            ),
        )
        indexes = (
            models.Index(fields=("guide", "step_position"), name="correction_guide_step_idx"),
            models.Index(fields=("status", "created_at"), name="correction_status_created_idx"),
        )

    def __str__(self):
        return self.display_code

    def get_absolute_url(self):
        """The public status page, in the reader's language."""
        with translation.override(self.language or settings.LANGUAGE_CODE):
            return reverse("kb:correction_status", kwargs={"code": self.code})

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}" if len(self.code) == CODE_LENGTH else self.code

    def get_thanks_url(self):
        with translation.override(self.language or settings.LANGUAGE_CODE):
            return reverse("kb:correction_thanks", kwargs={"code": self.code})

    @property
    def public_status(self) -> str:
        """What the status page says: received, reviewing, accepted or rejected.

        Spam flagged by the rules reads as "received" (a sender is never told it was caught);
        spam confirmed by an editor and duplicates read as rejected.
        """
        if self.status == self.Status.SPAM:
            return "rejected" if self.decided_at else "received"
        if self.status in (self.Status.ACCEPTED, self.Status.PUBLISHED):
            return "accepted"
        if self.status in (self.Status.REJECTED, self.Status.DUPLICATE):
            return "rejected"
        return self.status

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CorrectionEvent(models.Model):
    """The audit record of a correction: who decided what, when and why."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Received")
        FLAGGED = "flagged", _("Flagged as spam by the rules")
        REVIEW_STARTED = "review_started", _("Review started")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Marked as duplicate")
        SPAM = "spam", _("Marked as spam")
        RESCUED = "rescued", _("Not spam: back in the queue")
        PUBLISHED = "published", _("Correction published")
        NOTIFIED = "notified", _("Reader notified by email")
        PURGED = "purged", _("Personal data erased")

    correction = models.ForeignKey(
        Correction, on_delete=models.CASCADE, related_name="events", verbose_name=_("correction")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ("at", "id")
        verbose_name = _("correction event")
        verbose_name_plural = _("correction events")
        indexes = (models.Index(fields=("correction", "at"), name="correctionevent_corr_at_idx"),)

    def __str__(self):
        return f"{self.get_action_display()} · {self.correction}"


class ClientHashKey(models.Model):
    """A random salt per period for the sender hash.

    The sender key is HMAC(SECRET_KEY + this salt, address). When the salt is deleted (by
    ``purge_personal_data``) the hashes made with it can no longer be linked to an address,
    even by someone holding both the database and the secret key.
    """

    period = models.PositiveIntegerField(_("period"), unique=True)
    salt = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ("-period",)
        verbose_name = _("sender hash key")
        verbose_name_plural = _("sender hash keys")

    def __str__(self):
        return f"#{self.period}"
