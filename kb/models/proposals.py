"""Proposed changes to catalogue facts readers see (a carrier's names, website, descriptions and
support channels): an editor proposes, a reviewer approves, and the rows are the history."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb.models.catalogue import Carrier


class CarrierChange(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a reviewer")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="changes", verbose_name=_("carrier")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    before = models.JSONField(_("facts when proposed"))
    after = models.JSONField(_("proposed facts"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("reviewer's note"), blank=True)

    class Meta:
        ordering = ("-proposed_at", "-id")
        verbose_name = _("carrier change")
        verbose_name_plural = _("carrier changes")
        permissions = (("approve_carrierchange", _("Can approve changes to carriers")),)

    def __str__(self):
        return f"{self.carrier} · {self.get_status_display()}"
