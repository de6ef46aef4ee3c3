from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.models.catalogue import Carrier, Country, Task
from kb.models.guides import Guide, Language


class SearchDocument(models.Model):
    """One published guide as the search sees it (see ``kb.search``).

    The carrier, country, task and language are copied from the guide, with indexes that give
    the newest guides of a carrier (task, country) at once. The term columns hold terms made by
    ``kb.search.tokens``, separated by spaces; the database indexes them: on SQLite an FTS5
    table (``kb_search_fts``) kept in step by triggers, on PostgreSQL a generated, weighted
    ``tsv`` column with a GIN index; both come from migrations. Only published guides have a row.
    """

    guide = models.OneToOneField(
        Guide,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
        verbose_name=_("guide"),
    )
    carrier = models.ForeignKey(
        Carrier,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("carrier"),
    )
    country = models.ForeignKey(
        Country,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("country"),
    )
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("task")
    )
    language = models.CharField(_("language"), max_length=8, choices=Language)
    title_terms = models.TextField(_("title terms"), blank=True)
    summary_terms = models.TextField(_("summary terms"), blank=True)
    body_terms = models.TextField(_("steps, problems and notes terms"), blank=True)
    indexed_at = models.DateTimeField(_("indexed"), default=timezone.now)

    class Meta:
        ordering = ("guide",)
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        indexes = (
            models.Index(fields=("carrier", "-guide"), name="searchdoc_carrier_idx"),
            models.Index(fields=("task", "-guide"), name="searchdoc_task_idx"),
            models.Index(fields=("country", "-guide"), name="searchdoc_country_idx"),
        )

    def __str__(self):
        return str(self.guide_id)


class SearchGap(models.Model):
    """How often readers searched for a normalized query and came away without a guide.

    Counted per normalized query and reader language: searches that showed results, searches
    that found nothing, and clicks from the results to a guide. Holds no personal data: the
    query is normalized, long digit runs and e-mail addresses are masked, nothing identifies
    the reader.
    """

    query = models.CharField(_("query"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=Language)
    searches = models.PositiveIntegerField(_("searches with results"), default=0)
    zero_results = models.PositiveIntegerField(_("searches with no result"), default=0)
    clicks = models.PositiveIntegerField(_("clicks to a guide"), default=0)
    gap = models.PositiveIntegerField(
        _("gap"),
        default=0,
        help_text=_("Searches with no result plus result pages left without a click."),
    )
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ("-gap", "-last_seen")
        verbose_name = _("search gap")
        verbose_name_plural = _("search gaps")
        constraints = (
            models.UniqueConstraint(
                fields=("query", "language"), name="searchgap_unique_query_language"
            ),
        )
        indexes = (models.Index(fields=("-gap", "-last_seen"), name="searchgap_gap_idx"),)

    def __str__(self):
        return self.query

    @property
    def no_clicks(self) -> int:
        return max(self.searches - self.clicks, 0)
