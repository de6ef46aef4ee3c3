"""Storing pictures through Django's storage API, linking them to revisions, pruning orphans.

Files go to the default storage (``var/media`` on disk, or an S3-compatible bucket) under
``images/`` with content-hashed names, so a name always means the same bytes and can be cached
for a year. Reader evidence goes under ``evidence/`` with a random name and is never served by
the public media view.
"""

import logging
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from kb import images
from kb.models import GuideRevision
from kb.models.images import MEDIA_PREFIX, GuideImage, ImageAsset

logger = logging.getLogger("kb.images")

EVIDENCE_PREFIX = "evidence/"


def _save_file(name: str, data: bytes) -> None:
    if default_storage.exists(name):
        return
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # another process stored the same bytes meanwhile
        default_storage.delete(saved)


def image_process(*, upload=None, data: bytes | None = None) -> images.ProcessedImage:
    """Read and verify an upload; raises ValidationError (nothing stored) when it is refused."""
    return images.process(images.read_upload(upload) if data is None else data)


def image_store(*, processed: images.ProcessedImage, user=None) -> ImageAsset:
    """Store a verified picture's sizes (once per distinct upload); returns its asset."""
    existing = ImageAsset.objects.filter(key=processed.source_sha256).first()
    if existing is not None:
        return existing
    renditions = []
    for rendition in processed.renditions:
        for encoded in (rendition.webp, rendition.fallback):
            _save_file(MEDIA_PREFIX + encoded.name, encoded.data)
        renditions.append(
            {
                "width": rendition.width,
                "height": rendition.height,
                "webp": rendition.webp.name,
                "fallback": rendition.fallback.name,
                "bytes": [len(rendition.webp.data), len(rendition.fallback.data)],
            }
        )
    asset, _created = ImageAsset.objects.get_or_create(
        key=processed.source_sha256,
        defaults={
            "width": processed.width,
            "height": processed.height,
            "has_alpha": processed.has_alpha,
            "renditions": renditions,
            "created_by": user,
        },
    )
    return asset


def image_place(
    *, guide, asset: ImageAsset, alt: str, step=None, problem=None, caption="", position: int = 1
) -> GuideImage:
    placement = GuideImage(
        guide=guide,
        step=step,
        problem=problem,
        asset=asset,
        alt=alt.strip(),
        caption=(caption or "").strip(),
        position=position,
    )
    placement.full_clean()
    placement.save()
    return placement


def keys_in_snapshot(data: dict) -> set[str]:
    return {
        image["asset"]
        for key in ("steps", "problems")
        for item in data.get(key, [])
        for image in item.get("images", [])
    }


def revision_link_images(*, revision: GuideRevision) -> None:
    """Record which files a revision refers to, so they are kept as long as it exists."""
    keys = keys_in_snapshot(revision.data)
    revision.image_assets.set(ImageAsset.objects.filter(key__in=keys))


def images_prune(*, delete: bool = False) -> list[ImageAsset]:
    """The assets no guide row or revision refers to; with ``delete``, their files and rows go."""
    orphans = list(ImageAsset.objects.orphans().order_by("created_at", "id"))
    if not delete:
        return orphans
    for asset in orphans:
        with transaction.atomic():
            # Lock the row, then ask again whether it is still an orphan (PostgreSQL allows no
            # FOR UPDATE with the DISTINCT and outer joins that ``orphans()`` needs).
            if not ImageAsset.objects.select_for_update().filter(pk=asset.pk).exists():
                continue
            if not ImageAsset.objects.orphans().filter(pk=asset.pk).exists():
                continue
            # Rows first: a failed file delete leaves a stray file, never a row without its file.
            names = asset.file_names()
            ImageAsset.objects.filter(pk=asset.pk).delete()
            transaction.on_commit(lambda names=names: _delete_files(names))
    return orphans


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception as exc:  # storage outage: the file stays; nothing refers to it
            logger.warning("could not delete %s: %s", name, type(exc).__name__)


# --- reader evidence --------------------------------------------------------------------------
def evidence_process(*, upload) -> images.ProcessedImage:
    """A reader's screenshot, verified and re-encoded at one size (at most 1440 px wide)."""
    return images.process(images.read_upload(upload), largest_only=True)


def evidence_store(*, processed: images.ProcessedImage) -> str:
    """Store a reader's screenshot; returns its storage name (random, under evidence/)."""
    encoded = processed.renditions[0].fallback
    name = f"{EVIDENCE_PREFIX}{secrets.token_hex(16)}.{encoded.extension}"
    return default_storage.save(name, ContentFile(encoded.data))


def evidence_delete(*, name: str) -> None:
    if name:
        _delete_files([name])
