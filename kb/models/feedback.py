"""What readers tell us without an account: "did this work?" answers, requests for guides that
do not exist yet, and how often each guide is read.

No personal data is kept: a reader is only a keyed hash of their address and browser that
changes every day, used to count one answer per reader per guide per day. Its key rotates with
the sender keys' (``kb.ratelimit.period_key``), and ``purge_personal_data`` erases it (NULL)
after ``KB_PERSONAL_DATA_DAYS``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kb.models.catalogue import Carrier, Task
from kb.models.guides import Guide, Language


class GuideFeedback(models.Model):
    class Reason(models.TextChoices):
        STEPS_DIFFER = "steps_differ", _("The steps did not match what I saw")
        REFUSED = "refused", _("I got an error or the carrier refused")
        UNCLEAR = "unclear", _("Hard to understand")
        OUTDATED = "outdated", _("Out of date")
        OTHER = "other", _("Something else")

    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("guide")
    )
    helpful = models.BooleanField(_("it worked"))
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason, blank=True, help_text=_("Optional.")
    )
    comment = models.TextField(
        _("comment"), max_length=500, blank=True, help_text=_("Optional, at most 500 characters.")
    )
    language = models.CharField(_("language"), max_length=8, choices=Language, editable=False)
    voter = models.CharField(
        _("reader key"),
        max_length=64,
        null=True,
        editable=False,
        help_text=_(
            "A keyed hash that changes daily; one answer per reader, guide and day. "
            "Erased after the personal-data retention period."
        ),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("“did this work?” answer")
        verbose_name_plural = _("“did this work?” answers")
        constraints = (
            models.UniqueConstraint(
                fields=("guide", "voter"), name="feedback_one_answer_per_reader"
            ),
        )
        indexes = (models.Index(fields=("guide", "helpful"), name="feedback_guide_helpful_idx"),)

    def __str__(self):
        return f"{self.guide}: {_('yes') if self.helpful else _('no')}"


class GuideRequest(models.Model):
    """A reader asked for a guide that does not exist yet (a carrier and a task)."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="guide_requests", verbose_name=_("carrier")
    )
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="guide_requests", verbose_name=_("task")
    )
    language = models.CharField(_("language"), max_length=8, choices=Language)
    # Empty (NULL) once purge_personal_data erased it; NULLs never collide in the constraint.
    voter = models.CharField(_("reader key"), max_length=64, null=True, editable=False)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("guide request")
        verbose_name_plural = _("guide requests")
        constraints = (
            models.UniqueConstraint(
                fields=("carrier", "task", "language", "voter"),
                name="guide_request_one_per_reader",
            ),
        )

    def __str__(self):
        return f"{self.carrier} · {self.task}"


class GuideReadCount(models.Model):
    """Page views of a published guide per day, summed over the server processes."""

    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="read_counts", verbose_name=_("guide")
    )
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("reads"), default=0)

    class Meta:
        ordering = ("-day", "guide")
        verbose_name = _("daily reads")
        verbose_name_plural = _("daily reads")
        constraints = (
            models.UniqueConstraint(fields=("guide", "day"), name="readcount_one_row_per_day"),
        )
        indexes = (models.Index(fields=("day",), name="readcount_day_idx"),)

    def __str__(self):
        return f"{self.guide} {self.day}: {self.count}"
