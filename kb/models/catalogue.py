from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kb.models.base import BilingualMixin, split_lines

SLUG_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class Country(BilingualMixin, models.Model):
    slug = models.SlugField(_("slug"), max_length=16, unique=True, help_text=_("e.g. us, it, gb"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_(
            "Other names readers and articles use for this country, one per line: "
            "UK, Britain, 英國, 香港, HK…"
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "slug")
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(slug__regex=SLUG_RE), name="country_slug_valid"
            ),
        )

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("kb:country", kwargs={"slug": self.slug})

    @property
    def alias_list(self) -> list[str]:
        return split_lines(self.aliases)


class Carrier(BilingualMixin, models.Model):
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(
        _("name"), max_length=80, help_text=_("The brand as the carrier writes it.")
    )
    name_zh = models.CharField(_("Chinese name"), max_length=80, blank=True)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="carriers", verbose_name=_("country")
    )
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_(
            "Other real names of this carrier, one per line, shown on its page as "
            "“also known as”: T-Mo, TMO, T家…"
        ),
    )
    search_aliases = models.TextField(
        _("search-only spellings"),
        blank=True,
        help_text=_(
            "Spellings readers type that are not names to show: misspellings and run-together "
            "forms (Tmoble, T~M, Verison), one per line. Search and the importer use them; "
            "public pages never show them."
        ),
    )
    website = models.URLField(_("official website"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("country__position", "name")
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(slug__regex=SLUG_RE), name="carrier_slug_valid"
            ),
        )

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("kb:carrier", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def local_name(self) -> str:
        """The Chinese name, shown beside the brand to Chinese readers."""
        from kb.models.base import is_english

        return "" if is_english() else self.name_zh

    @property
    def alias_list(self) -> list[str]:
        return split_lines(self.aliases)

    @property
    def search_alias_list(self) -> list[str]:
        return split_lines(self.search_aliases)


class SupportChannel(BilingualMixin, models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        APP = "app", _("App")
        CHAT = "chat", _("Chat")
        WEB = "web", _("Web form or account page")
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")
        STORE = "store", _("Store")

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="channels", verbose_name=_("carrier")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    label_zh = models.CharField(_("label (Chinese)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    value = models.CharField(
        _("number or address"), max_length=200, blank=True, help_text=_("e.g. +1 505 998 3793")
    )
    url = models.URLField(_("link"), blank=True)
    hours_zh = models.CharField(_("hours (Chinese)"), max_length=200, blank=True)
    hours_en = models.CharField(_("hours (English)"), max_length=200, blank=True)
    cost_zh = models.CharField(_("cost note (Chinese)"), max_length=200, blank=True)
    cost_en = models.CharField(_("cost note (English)"), max_length=200, blank=True)
    works_from_abroad = models.BooleanField(_("works from abroad"), default=True)

    class Meta:
        ordering = ("carrier", "position", "id")
        verbose_name = _("support channel")
        verbose_name_plural = _("support channels")

    def __str__(self):
        return f"{self.carrier}: {self.tr('label')}"


class Task(BilingualMixin, models.Model):
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    synonyms = models.TextField(
        _("synonyms"),
        blank=True,
        help_text=_("Words readers use for this task, one per line: 注销, 销户, cancel, disdetta…"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "slug")
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = (
            models.CheckConstraint(condition=models.Q(slug__regex=SLUG_RE), name="task_slug_valid"),
        )

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("kb:task", kwargs={"slug": self.slug})

    @property
    def synonym_list(self) -> list[str]:
        return split_lines(self.synonyms)
