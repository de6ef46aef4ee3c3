"""Catalogue facts readers see follow the guides' rule: an editor proposes, a reviewer approves.

A carrier's names, website, aliases, descriptions and support channels are saved as a
``CarrierChange`` (the facts before and after); approving writes them onto the carrier, in one
transaction, and drops the page caches. The proposer may not approve their own change
(``KB_ALLOW_SELF_PUBLISH`` lifts this, as for guides).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kb.models import Carrier, CarrierChange, SupportChannel
from kb.services import hooks
from kb.services._common import lock, require_perm

PERM_PROPOSE = "kb.change_carrier"
PERM_APPROVE = "kb.approve_carrierchange"

CARRIER_FIELDS = (
    "name",
    "name_zh",
    "slug",
    "country_id",
    "website",
    "aliases",
    "description_zh",
    "description_en",
)
CHANNEL_FIELDS = (
    "kind",
    "label_zh",
    "label_en",
    "value",
    "url",
    "hours_zh",
    "hours_en",
    "cost_zh",
    "cost_en",
    "works_from_abroad",
)
Status = CarrierChange.Status


class CatalogueError(Exception):
    """A decision that does not apply to the change in its current state."""


def carrier_facts(carrier: Carrier) -> dict:
    return {
        "carrier": {field: getattr(carrier, field) for field in CARRIER_FIELDS},
        "channels": [
            {field: getattr(channel, field) for field in CHANNEL_FIELDS}
            for channel in carrier.channels.order_by("position", "id")
        ],
    }


@transaction.atomic
def carrier_propose(*, carrier: Carrier, user, facts: dict) -> CarrierChange | None:
    """Record ``facts`` as a proposed change of ``carrier`` (None when nothing differs)."""
    require_perm(user, PERM_PROPOSE)
    carrier = lock(Carrier.objects, carrier.pk, CatalogueError(_("The carrier no longer exists.")))
    before = carrier_facts(carrier)
    if facts == before:
        return None
    return CarrierChange.objects.create(
        carrier=carrier, before=before, after=facts, proposed_by=user
    )


def _locked(change):
    return lock(
        CarrierChange.objects.select_related("carrier"),
        change.pk,
        CatalogueError(_("This change no longer exists.")),
    )


def can_decide(change: CarrierChange, user) -> bool:
    if change.status != Status.PENDING or not (user and user.has_perm(PERM_APPROVE)):
        return False
    return settings.KB_ALLOW_SELF_PUBLISH or change.proposed_by_id != user.pk


@transaction.atomic
def carrier_change_approve(*, change: CarrierChange, user, note: str = "") -> Carrier:
    require_perm(user, PERM_APPROVE)
    change = _locked(change)
    if change.status != Status.PENDING:
        raise CatalogueError(_("This change has already been decided."))
    if change.proposed_by_id == user.pk and not settings.KB_ALLOW_SELF_PUBLISH:
        raise PermissionDenied(_("Another reviewer must approve a change you proposed."))
    carrier = lock(Carrier.objects, change.carrier_id, CatalogueError(_("The carrier is gone.")))
    if carrier_facts(carrier) != change.before:
        raise CatalogueError(
            _("The carrier has changed since this was proposed: propose the change again.")
        )
    for field, value in change.after["carrier"].items():
        if field in CARRIER_FIELDS:
            setattr(carrier, field, value)
    carrier.full_clean()
    carrier.save()
    carrier.channels.all().delete()
    for position, item in enumerate(change.after["channels"], start=1):
        SupportChannel.objects.create(
            carrier=carrier,
            position=position,
            **{field: item[field] for field in CHANNEL_FIELDS if field in item},
        )
    change.status = Status.APPROVED
    change.decided_by, change.decided_at, change.note = user, timezone.now(), note.strip()
    change.save()
    hooks.catalogue_changed()
    return carrier


@transaction.atomic
def carrier_change_reject(*, change: CarrierChange, user, reason: str) -> CarrierChange:
    require_perm(user, PERM_APPROVE)
    if not (reason or "").strip():
        raise CatalogueError(_("Say why the change is not approved."))
    change = _locked(change)
    if change.status != Status.PENDING:
        raise CatalogueError(_("This change has already been decided."))
    change.status = Status.REJECTED
    change.decided_by, change.decided_at, change.note = user, timezone.now(), reason.strip()
    change.save()
    return change
