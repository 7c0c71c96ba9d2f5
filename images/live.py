"""Live Photos: an iPhone's photo and its short clip become one item, whichever lands first.

Both halves carry the same content identifier (``Image.live_photo_id``, read at upload by
``imaging.motion``). Each half's render job, once it lands ``ready``, asks
``live_photo_pair``: if the other half of the same owner is there and ready too, the photo
absorbs the clip. The clip's original (byte for byte) and its web-playable MP4 become the
photo's ``motion_original_key`` and ``motion_key``; their bytes move to the photo's
``stored_bytes``; the clip's row goes, without those two files, and its other files (the
poster's stills, a stripped copy) go once that commits. Nothing is written to storage, so
the quota only ever shrinks (by the stills).

What the clip row had of its own is dropped with it: album memberships, share entries, an
album cover (set to none). The photo keeps its own: a share link never starts to show
something its owner did not put in it. A pair is made once: a photo that already moves
(a paired Live Photo, or a motion photo) absorbs nothing more, so a second clip with the same
identifier stays a video of its own. Halves of two owners never pair, nor a trashed half,
nor one still rendering (its landing asks again).

Locks: the owner's row first, then the album covers the clip's deletion clears, then the two
image rows (``images.locks``' order), so both halves landing at once pair exactly once: the
second to get the owner's lock finds the pair made.
"""

import logging
import uuid

from django.db import transaction

from images import files
from images.errors import AccountGone
from images.locks import album_covers_lock, owner_lock
from images.models import Image, StoredFileHolder
from users.models import User

logger = logging.getLogger(__name__)

__all__ = ["live_motion_bytes", "live_photo_pair"]

# The clip's files that become the photo's motion part; every other file of it is deleted.
_MOVED_FIELDS = ("original_key", "playback_key")


def live_photo_pair(*, image: Image) -> Image:
    """Makes ``image`` and the other half of its Live Photo one item, if that half is there.

    Returns what ``image`` is now: the photo that absorbed the pair (also when ``image`` was
    the clip, whose row is gone), else ``image`` itself, unchanged. May run inside the render
    job's own transaction (a savepoint then; files go when the outer one commits) or after
    it. Raises nothing for a half deleted, trashed or superseded meanwhile: it just does not
    pair.
    """
    if not image.live_photo_id:
        return image
    try:
        with transaction.atomic():
            paired = _pair_locked(image=image)
    except AccountGone:
        return image
    if paired is None:
        return image
    logger.info("Live Photo %s: photo %s absorbed clip", image.live_photo_id, paired.pk)
    return paired


def live_motion_bytes(*, image: Image) -> int:
    """The bytes of the photo's motion part (its clip's original and playable MP4), as
    counted in ``stored_bytes``: what a re-render of the photo adds to its renditions'."""
    return sum(_stored_size(key) for key in (image.motion_original_key, image.motion_key) if key)


def _pair_locked(*, image: Image) -> Image | None:
    """The pairing, in the caller's transaction; the photo if it absorbed a clip now."""
    owner_lock(owner=User(pk=image.owner_id))
    halves = Image.objects.filter(
        owner_id=image.owner_id,
        live_photo_id=image.live_photo_id,
        trashed_at__isnull=True,
        locked_at__isnull=True,  # a locked half stays apart: pairing would show it
        status=Image.Status.READY,
    )
    # Read unlocked to learn which rows to lock: the owner's lock keeps every writer of a
    # new half out, and the locked read below checks again what a deletion may have changed.
    found = _pair_choose(list(halves.order_by("created_at", "pk")), image=image)
    if found is None:
        return None
    photo_id, clip_id = found
    album_covers_lock(image_ids=[clip_id])
    locked = {
        row.pk: row
        for row in halves.filter(pk__in=[photo_id, clip_id]).select_for_update().order_by("pk")
    }
    photo, clip = locked.get(photo_id), locked.get(clip_id)
    if photo is None or clip is None or not _absorbable(photo=photo, clip=clip):
        return None
    photo.motion_original_key = clip.original_key
    photo.motion_key = clip.playback_key
    playable_bytes = (
        0 if clip.playback_key == clip.original_key else _stored_size(clip.playback_key)
    )
    photo.stored_bytes += clip.size + playable_bytes
    photo.save(update_fields=["motion_original_key", "motion_key", "stored_bytes", "updated_at"])
    moved = {getattr(clip, name) for name in _MOVED_FIELDS}
    obsolete = [key for key in clip.storage_keys if key not in moved]
    # The clip's holds on the files the photo takes over (a saved copy's, shared with its
    # source) are the photo's now; the others go with the clip's row (cascade).
    StoredFileHolder.objects.filter(image_id=clip.pk, key__in=moved).update(image_id=photo.pk)
    # The row only: its memberships and share entries go by cascade, a cover it was becomes
    # none; the moved files are the photo's now.
    Image.objects.filter(pk=clip.pk).delete()
    transaction.on_commit(lambda: files.files_delete(keys=obsolete))
    return photo


def _pair_choose(halves: list[Image], *, image: Image) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Which photo and which clip to make one: ``image`` and the oldest other half that fits.

    ``image`` must be among the ready, untrashed halves (else it changed meanwhile); a photo
    takes the oldest clip, a clip the oldest photo that does not move yet.
    """
    current = next((row for row in halves if row.pk == image.pk), None)
    if current is None:
        return None
    if current.kind == Image.Kind.PHOTO:
        clips = [row for row in halves if row.kind == Image.Kind.VIDEO]
        if clips and _absorbable(photo=current, clip=clips[0]):
            return current.pk, clips[0].pk
        return None
    photos = [
        row
        for row in halves
        if row.kind == Image.Kind.PHOTO and _absorbable(photo=row, clip=current)
    ]
    return (photos[0].pk, current.pk) if photos else None


def _absorbable(*, photo: Image, clip: Image) -> bool:
    """Whether ``photo`` can take ``clip`` as its motion part: same owner and identifier, the
    photo not moving yet, the clip with its original and its playable MP4."""
    return (
        photo.kind == Image.Kind.PHOTO
        and clip.kind == Image.Kind.VIDEO
        and photo.owner_id == clip.owner_id
        and bool(photo.live_photo_id)
        and photo.live_photo_id == clip.live_photo_id
        and not photo.motion_original_key
        and not photo.motion_key
        and bool(clip.original_key)
        and bool(clip.playback_key)
    )


def _stored_size(key: str) -> int:
    """A stored file's size (one stat, or one request to an object store)."""
    return files.file_stat(key=key).size
