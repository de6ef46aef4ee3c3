"""The carriers' pages our guides cite, as last fetched, and each guide's accepted baseline."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SourcePage(models.Model):
    """One cited address (shared by every guide that cites it), as the watch last saw it."""

    class Status(models.TextChoices):
        NEW = "new", _("not fetched yet")
        OK = "ok", _("fetched")
        GONE = "gone", _("gone")
        ERROR = "error", _("could not be fetched")
        REFUSED = "refused", _("not fetched (refused)")

    url = models.URLField(_("address"), max_length=500, unique=True)
    host = models.CharField(_("host"), max_length=255, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    etag = models.CharField("ETag", max_length=300, blank=True)
    last_modified = models.CharField("Last-Modified", max_length=100, blank=True)
    text = models.TextField(_("main text"), blank=True)
    text_hash = models.CharField(_("text hash"), max_length=64, blank=True)
    text_changed_at = models.DateTimeField(_("text changed"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_ok_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        ordering = ("url",)
        verbose_name = _("watched source page")
        verbose_name_plural = _("watched source pages")

    def __str__(self):
        return self.url


class SourceBaseline(models.Model):
    """The text of one cited page that the guide was last verified against."""

    class State(models.TextChoices):
        SAME = "same", _("unchanged")
        CHANGED = "changed", pgettext_lazy("source check", "changed")
        GONE = "gone", _("gone")

    guide = models.ForeignKey(
        "kb.Guide",
        on_delete=models.CASCADE,
        related_name="source_baselines",
        verbose_name=_("guide"),
    )
    url = models.URLField(_("address"), max_length=500)
    text = models.TextField(_("main text"), blank=True)
    text_hash = models.CharField(_("text hash"), max_length=64, blank=True)
    taken_at = models.DateTimeField(_("baseline taken"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SAME, db_index=True
    )
    state_since = models.DateTimeField(_("state since"), null=True, blank=True)
    # The editor decided the change matters: readers see "being re-checked" until verified.
    confirmed_at = models.DateTimeField(_("change confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )

    class Meta:
        ordering = ("guide", "url")
        verbose_name = _("source baseline")
        verbose_name_plural = _("source baselines")
        constraints = [
            models.UniqueConstraint(fields=["guide", "url"], name="kb_sourcebaseline_once")
        ]

    def __str__(self):
        return self.url
