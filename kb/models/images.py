"""Pictures in guides: stored files (ImageAsset) and where a guide shows them (GuideImage).

An ImageAsset is content-addressed and never changes; a GuideImage places one on a step or a
problem of one guide row (the live guide, a pending copy) with its alt text and caption.
Revisions keep the asset's key in their JSON and link it (``ImageAsset.revisions``), so a file
is only ever deleted when neither a guide nor a revision refers to it (``prune_images``).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.models.guides import Guide, GuideRevision, Problem, Step

MEDIA_PREFIX = "images/"
NAME_RE = re.compile(r"^images/[0-9a-f]{2}/[0-9a-f]{32}\.(webp|jpg|png)$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


class ImageAssetQuerySet(models.QuerySet):
    def orphans(self):
        """Files that no guide, pending change or revision refers to."""
        return self.filter(placements__isnull=True, revisions__isnull=True).distinct()


class ImageAsset(models.Model):
    key = models.CharField(
        _("key"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("SHA-256 of the uploaded file; the same upload is stored once."),
    )
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    has_alpha = models.BooleanField(_("transparent"), default=False, editable=False)
    renditions = models.JSONField(
        _("sizes"),
        default=list,
        editable=False,
        help_text=_("Each size's width and height and its WebP and fallback file names."),
    )
    revisions = models.ManyToManyField(
        GuideRevision, related_name="image_assets", blank=True, editable=False
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("uploaded by"),
    )

    objects = ImageAssetQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("picture file")
        verbose_name_plural = _("picture files")
        constraints = (
            models.CheckConstraint(
                condition=Q(width__gte=1, height__gte=1), name="imageasset_has_size"
            ),
        )

    def __str__(self):
        return f"{self.key[:12]} ({self.width}×{self.height})"

    def file_names(self) -> list[str]:
        return [
            MEDIA_PREFIX + item[kind] for item in self.renditions for kind in ("webp", "fallback")
        ]

    @staticmethod
    def url_for(name: str) -> str:
        return f"{settings.MEDIA_URL}{MEDIA_PREFIX}{name}"

    @property
    def largest(self) -> dict:
        return self.renditions[-1]

    @property
    def smallest(self) -> dict:
        return self.renditions[0]

    def srcset(self, kind: str) -> str:
        return ", ".join(f"{self.url_for(r[kind])} {r['width']}w" for r in self.renditions)

    @property
    def fallback_url(self) -> str:
        middle = next((r for r in self.renditions if r["width"] >= 960), self.largest)
        return self.url_for(middle["fallback"])

    @property
    def thumbnail_url(self) -> str:
        return self.url_for(self.smallest["webp"])


class GuideImage(models.Model):
    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="images", verbose_name=_("guide")
    )
    step = models.ForeignKey(
        Step,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="images",
        verbose_name=_("step"),
    )
    problem = models.ForeignKey(
        Problem,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="images",
        verbose_name=_("problem"),
    )
    asset = models.ForeignKey(
        ImageAsset, on_delete=models.PROTECT, related_name="placements", verbose_name=_("file")
    )
    alt = models.CharField(
        _("alt text"),
        max_length=300,
        help_text=_(
            "What the picture shows, for readers who cannot see it, in the guide's language."
        ),
    )
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("picture")
        verbose_name_plural = _("pictures")
        constraints = (
            models.CheckConstraint(
                condition=Q(step__isnull=False, problem__isnull=True)
                | Q(step__isnull=True, problem__isnull=False),
                name="guideimage_on_step_or_problem",
            ),
        )
        indexes = (models.Index(fields=("guide", "position"), name="guideimage_guide_idx"),)

    def __str__(self):
        return self.alt

    def clean(self):
        errors = {}
        parent = self.step or self.problem
        if parent is not None and self.guide_id and parent.guide_id != self.guide_id:
            errors["step"] = _("The step or problem belongs to another guide.")
        language = self.guide.language if self.guide_id else None
        alt = (self.alt or "").strip()
        if alt and language == "zh-hans" and not _CJK.search(alt):
            errors["alt"] = _("Write the alt text in Chinese, the language of this guide.")
        elif alt and language == "en" and (_CJK.search(alt) or not _LATIN.search(alt)):
            errors["alt"] = _("Write the alt text in English, the language of this guide.")
        if errors:
            raise ValidationError(errors)
