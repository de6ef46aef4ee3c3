from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kb import markdown
from kb.models.catalogue import SLUG_RE, Carrier, Country, Task

PLACE_FIELDS = ("carrier_id", "country_id", "task_id", "translation_of_id")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class ReaderLanguage(models.TextChoices):
    """What a reader may read in: the languages guides are written in, and Traditional Chinese
    (converted from the Simplified guides, ``kb.traditional``)."""

    ZH_HANS = "zh-hans", "简体中文"
    ZH_HANT = "zh-hant", "繁體中文"
    EN = "en", "English"


class PlanType(models.TextChoices):
    ALL = "all", _("Every plan type")
    PREPAID = "prepaid", _("Prepaid")
    MONTHLY = "monthly", _("Monthly plan")


class GuideQuerySet(models.QuerySet):
    def published(self):
        """What readers may see: published guides, never a pending copy."""
        return self.filter(status=Guide.Status.PUBLISHED, draft_of__isnull=True)

    def clashing_with(self, guide, *, exclude_pk=None):
        """Published guides that ``guide`` could not be published beside: the same topic (carrier
        or country-wide, task, plan type, language) or the same address."""
        if guide.carrier_id:
            same_topic = Q(carrier_id=guide.carrier_id, task_id=guide.task_id)
        else:
            same_topic = Q(carrier__isnull=True, country_id=guide.country_id, task_id=guide.task_id)
        same_topic &= Q(plan_type=guide.plan_type)
        return (
            self.published()
            .filter(language=guide.language)
            .filter(same_topic | Q(slug=guide.slug))
            .exclude(pk=exclude_pk)
        )

    def originals(self):
        return self.filter(draft_of__isnull=True)

    def pending_changes(self):
        return self.filter(draft_of__isnull=False).exclude(status=Guide.Status.ARCHIVED)

    def written_by(self, user):
        """Versions ``user`` wrote (part of) the text of: the four-eyes rule in SQL, the same as
        ``workflow.writer_ids``. A pending copy's writers are who edited it since it was opened;
        a guide's, who edited it since it was last published; and whoever edited it last."""
        if getattr(user, "pk", None) is None:
            return self.none()
        return self.filter(_written_by(user))

    def not_written_by(self, user):
        """Versions ``user`` may publish under the four-eyes rule."""
        if getattr(user, "pk", None) is None:
            return self.all()
        return self.exclude(_written_by(user))

    def with_last_transition(self):
        """Annotate the last change of state (submitted, sent back, published…) of each version:
        ``last_transition_action``, ``_note``, ``_at``, ``_by`` (a username) and ``_by_id``.
        A pending copy's events are kept on its live guide; only those since it was opened
        count."""
        events = _version_events().exclude(from_status="").order_by("-at", "-id")
        return self.annotate(
            last_transition_action=Subquery(events.values("action")[:1]),
            last_transition_note=Subquery(events.values("note")[:1]),
            last_transition_at=Subquery(events.values("at")[:1]),
            last_transition_by=Subquery(events.values("actor__username")[:1]),
            last_transition_by_id=Subquery(events.values("actor_id")[:1]),
        )

    def needs_verification(self, now=None):
        """Published guides never verified, or whose re-verification interval has passed."""
        now = now or timezone.now()
        return self.published().filter(
            Q(last_verified_at__isnull=True) | Q(verification_due_at__lt=now)
        )


def _version_events():
    """Events of the outer version (``OuterRef``): its own, or a pending copy's on the live guide
    since the copy was opened."""
    return GuideEvent.objects.filter(
        guide_id=Coalesce(OuterRef("draft_of_id"), OuterRef("pk"))
    ).filter(Q(IsNull(OuterRef("draft_of_id"), True)) | Q(at__gte=OuterRef("created_at")))


def _written_by(user) -> Q:
    published_since = GuideEvent.objects.filter(
        guide_id=OuterRef("guide_id"), action=GuideEvent.Action.PUBLISHED, at__gte=OuterRef("at")
    )
    writes = _version_events().filter(action__in=GuideEvent.WRITE_ACTIONS, actor_id=user.pk)
    since_published = Q(IsNull(OuterRef("draft_of_id"), False)) | ~Exists(published_since)
    return Q(updated_by_id=user.pk) | Exists(writes.filter(since_published))


def _staff_member(verbose_name):
    """Who did something to a guide; kept as history, so the row survives the account."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=verbose_name,
    )


class Guide(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        UNVERIFIED = "unverified", _("Not yet verified")
        STALE = "stale", _("May be out of date")

    carrier = models.ForeignKey(
        Carrier,
        on_delete=models.PROTECT,
        related_name="guides",
        null=True,
        blank=True,
        verbose_name=_("carrier"),
        help_text=_("Leave empty for a guide that covers the whole country."),
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="guides", verbose_name=_("country")
    )
    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="guides", verbose_name=_("task")
    )
    plan_type = models.CharField(
        _("plan type"),
        max_length=8,
        choices=PlanType,
        default=PlanType.ALL,
        help_text=_("The kind of line this guide is for; one guide per plan type and topic."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language, default=Language.ZH_HANS
    )
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
        help_text=_("The guide this one translates (usually the Chinese original)."),
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=120, help_text=_("Lower-case letters, digits and hyphens.")
    )
    summary = models.TextField(
        _("summary"), help_text=_("Two or three sentences: what this guide gets done.")
    )
    prerequisites = models.TextField(_("before you start"), blank=True, help_text=_("Markdown."))
    prerequisites_html = models.TextField(editable=False, blank=True)
    time_needed = models.CharField(
        _("time needed"), max_length=200, blank=True, help_text=_("e.g. 15 minutes")
    )
    risk_notes = models.TextField(
        _("risks"),
        blank=True,
        help_text=_("Markdown, shown before the steps: what can go wrong or cannot be undone."),
    )
    risk_notes_html = models.TextField(editable=False, blank=True)
    traditional = models.JSONField(
        _("Traditional Chinese text"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The reader-visible text converted to Traditional Chinese when published."),
    )
    irreversible = models.BooleanField(
        _("cannot be undone"),
        default=False,
        help_text=_("The result of this guide cannot be reversed."),
    )
    tips = models.TextField(
        _("tips"), blank=True, help_text=_("Markdown: general advice for the whole guide.")
    )
    tips_html = models.TextField(editable=False, blank=True)
    unconfirmed = models.TextField(
        _("not yet confirmed"),
        blank=True,
        help_text=_(
            "Plain text, shown to readers: which facts could not be confirmed on the carrier's "
            "own page. Leave empty when every fact was confirmed."
        ),
    )

    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.DRAFT)
    draft_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pending_versions",
        verbose_name=_("pending change of"),
        editable=False,
    )
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)
    content_updated_at = models.DateTimeField(
        _("last published change"), null=True, blank=True, editable=False
    )
    last_verified_at = models.DateTimeField(
        _("last verified"), null=True, blank=True, editable=False
    )
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
        editable=False,
    )
    verification_due_at = models.DateTimeField(
        _("verification due"), null=True, blank=True, editable=False, db_index=True
    )
    reverify_days = models.PositiveSmallIntegerField(
        _("re-verify every (days)"),
        default=180,
        help_text=_("After this many days the guide needs checking again."),
    )
    review_note = models.TextField(_("reviewer's note"), blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = _staff_member(_("created by"))
    updated_by = _staff_member(_("last edited by"))
    submitted_by = _staff_member(_("submitted by"))

    origin_file = models.CharField(_("imported from"), max_length=500, blank=True, editable=False)
    origin_hash = models.CharField(_("source hash"), max_length=64, blank=True, editable=False)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True, editable=False)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ("country__position", "carrier__name", "task__position", "language")
        verbose_name = _("guide")
        verbose_name_plural = _("guides")
        permissions = (
            ("publish_guide", _("Can publish, reject and archive guides")),
            ("verify_guide", _("Can mark guides as verified")),
        )
        constraints = (
            models.UniqueConstraint(
                fields=("carrier", "task", "plan_type", "language"),
                condition=Q(status="published", carrier__isnull=False),
                name="guide_one_published_per_carrier_task_plan_language",
            ),
            models.UniqueConstraint(
                fields=("country", "task", "plan_type", "language"),
                condition=Q(status="published", carrier__isnull=True),
                name="guide_one_published_countrywide_per_task_plan_language",
            ),
            models.UniqueConstraint(
                fields=("slug", "language"),
                condition=Q(status="published"),
                name="guide_published_slug_unique_per_language",
            ),
            models.CheckConstraint(condition=Q(slug__regex=SLUG_RE), name="guide_slug_valid"),
            models.CheckConstraint(
                condition=Q(plan_type__in=PlanType.values), name="guide_plan_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(reverify_days__gte=1), name="guide_reverify_days_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="guide_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(draft_of__isnull=True) | ~Q(status="published"),
                name="guide_pending_copy_never_published",
            ),
        )
        indexes = (
            models.Index(fields=("status", "language"), name="guide_status_lang_idx"),
            models.Index(fields=("origin_hash",), name="guide_origin_hash_idx"),
        )

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.verification_due_at = self.reverify_due_at
        self.prerequisites_html = markdown.render(self.prerequisites)
        self.risk_notes_html = markdown.render(self.risk_notes)
        self.tips_html = markdown.render(self.tips)
        super().save(*args, **kwargs)

    # --- URLs -----------------------------------------------------------------------------
    def get_absolute_url(self):
        with translation.override(self.shown_in()):
            return reverse("kb:guide", kwargs={"slug": self.slug})

    def shown_in(self, language: str | None = None) -> str:
        """The language prefix this guide's pages have for a reader of ``language`` (the active
        one): a Simplified guide is also the Traditional reader's guide, converted."""
        from kb.traditional import SIMPLIFIED, TRADITIONAL, is_traditional

        if self.language == SIMPLIFIED and is_traditional(language):
            return TRADITIONAL
        return self.language

    @classmethod
    def from_db(cls, db, field_names, values):
        guide = super().from_db(db, field_names, values)
        # Where the guide was when read, so that a change that moves it (another carrier, task
        # or translation) also refreshes the pages that showed it there.
        guide.loaded_place = tuple(
            getattr(guide, name, None) for name in PLACE_FIELDS if name in field_names
        )
        return guide

    def get_correction_url(self, step=None):
        with translation.override(self.shown_in()):
            if step is not None:
                return reverse(
                    "kb:correction_step", kwargs={"slug": self.slug, "position": step.position}
                )
            return reverse("kb:correction", kwargs={"slug": self.slug})

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.carrier_id and self.country_id and self.carrier.country_id != self.country_id:
            raise ValidationError({"country": _("The carrier belongs to another country.")})
        if self.translation_of_id and self.translation_of_id == self.pk:
            raise ValidationError({"translation_of": _("A guide cannot translate itself.")})
        if self.translation_of_id and self.translation_of.language == self.language:
            raise ValidationError(
                {"translation_of": _("A translation must be in another language.")}
            )

    # --- State ----------------------------------------------------------------------------
    @property
    def is_pending_copy(self) -> bool:
        return self.draft_of_id is not None

    @property
    def live(self):
        """The published guide this row belongs to (itself, or the guide a pending copy edits)."""
        return self.draft_of if self.draft_of_id else self

    @property
    def reverify_due_at(self):
        if self.last_verified_at is None:
            return None
        return self.last_verified_at + timedelta(days=self.reverify_days)

    def verification_state(self, now=None) -> str:
        if self.last_verified_at is None:
            return self.Verification.UNVERIFIED
        if self.reverify_due_at < (now or timezone.now()):
            return self.Verification.STALE
        return self.Verification.VERIFIED

    def get_verification_state_display(self) -> str:
        return self.Verification(self.verification_state()).label

    def translation_siblings(self):
        """Other-language versions that are published, original first."""
        root_id = self.translation_of_id or self.pk
        return (
            Guide.objects.published()
            .filter(Q(pk=root_id) | Q(translation_of_id=root_id))
            .exclude(pk=self.pk)
        )


class Step(models.Model):
    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="steps", verbose_name=_("guide")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("what to do"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, blank=True)
    tip = models.TextField(_("tip"), blank=True, help_text=_("Markdown, optional."))
    tip_html = models.TextField(editable=False, blank=True)
    warning = models.TextField(_("warning"), blank=True, help_text=_("Markdown, optional."))
    warning_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ("guide", "position")
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = (
            models.UniqueConstraint(
                fields=("guide", "position"), name="step_unique_position_per_guide"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="step_position_from_one"),
        )

    def __str__(self):
        return f"{self.position}. {self.title}"

    def save(self, *args, **kwargs):
        self.body_html = markdown.render(self.body)
        self.tip_html = markdown.render(self.tip)
        self.warning_html = markdown.render(self.warning)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.guide.get_absolute_url()}#step-{self.position}"


class Problem(models.Model):
    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="problems", verbose_name=_("guide")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    symptom = models.CharField(
        _("problem"), max_length=300, help_text=_("What the reader sees, as a question.")
    )
    cause = models.TextField(_("cause"), blank=True, help_text=_("Markdown."))
    cause_html = models.TextField(editable=False, blank=True)
    solution = models.TextField(_("solution"), help_text=_("Markdown."))
    solution_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ("guide", "position")
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        constraints = (
            models.UniqueConstraint(
                fields=("guide", "position"), name="problem_unique_position_per_guide"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="problem_position_from_one"),
        )

    def __str__(self):
        return self.symptom

    def save(self, *args, **kwargs):
        self.cause_html = markdown.render(self.cause)
        self.solution_html = markdown.render(self.solution)
        super().save(*args, **kwargs)


class Source(models.Model):
    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="sources", verbose_name=_("guide")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    url = models.URLField(_("address"), max_length=500)
    title = models.CharField(_("title"), max_length=300)
    accessed_on = models.DateField(_("date read"), null=True, blank=True)

    class Meta:
        ordering = ("guide", "position", "id")
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return self.title


class GuideRevision(models.Model):
    """A full copy of a guide as it was published: fields, steps, problems and sources."""

    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("guide")
    )
    number = models.PositiveIntegerField(_("number"))
    created_at = models.DateTimeField(_("published"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    note = models.CharField(
        _("change note"), max_length=300, blank=True, help_text=_("Shown in the public changelog.")
    )
    data = models.JSONField(_("content"))

    class Meta:
        ordering = ("guide", "-number")
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = (
            models.UniqueConstraint(
                fields=("guide", "number"), name="revision_unique_number_per_guide"
            ),
        )

    def __str__(self):
        return f"{self.guide} #{self.number}"


class GuideEvent(models.Model):
    """The audit trail: who did what to a guide, when and why."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        IMPORTED = "imported", _("Imported")
        EDIT_STARTED = "edit_started", _("Started a change")
        EDITED = "edited", _("Edited")
        CORRECTION_APPLIED = "correction_applied", _("Reader's correction applied")
        SUBMITTED = "submitted", _("Submitted for review")
        REJECTED = "rejected", _("Sent back to draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")
        RESTORED = "restored", _("Restored to draft")
        VERIFIED = "verified", _("Verified")
        REVERTED = "reverted", _("Old revision restored as a pending change")
        DISCARDED = "discarded", _("Pending change discarded")

    # Events whose actor wrote (part of) the text of the version they belong to.
    WRITE_ACTIONS = (Action.CREATED, Action.IMPORTED, Action.EDITED, Action.REVERTED)
    # A reviewer's decision that returns a version to its writers, with a reason.
    SENT_BACK_ACTIONS = (Action.REJECTED, Action.RESTORED)

    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="events", verbose_name=_("guide")
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
    note = models.TextField(_("note"), blank=True)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    revision = models.ForeignKey(
        GuideRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revision"),
    )

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("editorial event")
        verbose_name_plural = _("editorial events")
        indexes = (models.Index(fields=("guide", "-at"), name="guideevent_guide_at_idx"),)

    def __str__(self):
        return f"{self.get_action_display()} · {self.guide}"
