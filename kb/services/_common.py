"""Plumbing the services share: the permission check, the row lock, the same-text test and the
renumbering of ordered children. Private to ``kb.services``."""

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils.translation import gettext as _

# Positions are unique per guide: rows are moved this far out of the way before renumbering.
OUT_OF_THE_WAY = 10_000


def has_perm(user, perm: str) -> bool:
    return bool(user and user.is_active and user.has_perm(perm))


def require_perm(user, perm: str) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def lock(queryset, pk, error: Exception):
    """The row as it is now, locked until the transaction ends; ``error`` if it is gone."""
    try:
        return queryset.select_for_update().get(pk=pk)
    except queryset.model.DoesNotExist:
        raise error from None


def same_text(a: str, b: str) -> bool:
    """Equal but for whitespace (line ends, spaces a browser or an editor added)."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


def make_room(queryset, position: int) -> None:
    """Move the ordered rows at ``position`` and after one place down (``queryset``: one guide's
    steps or problems), leaving ``position`` free."""
    queryset.filter(position__gte=position).update(position=F("position") + OUT_OF_THE_WAY)
    queryset.filter(position__gt=OUT_OF_THE_WAY).update(position=F("position") - OUT_OF_THE_WAY + 1)


def renumber(queryset, ordered: list) -> None:
    """Save ``ordered`` (unsaved or saved rows of one guide) as positions 1..n, without ever
    holding two rows at one position."""
    queryset.update(position=F("position") + OUT_OF_THE_WAY)
    for number, obj in enumerate(ordered, start=1):
        obj.position = number
        obj.save()
