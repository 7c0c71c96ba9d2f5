"""The trash: images out of every list, album and share, kept until restored or purged.

A trashed image keeps its rows and files, and keeps counting against the quota, until it is
restored or purged (by its owner, or by the sweep after ``ATELIER_TRASH_DAYS``); a purge is
a deletion (``lifecycle.images_delete``: rows now, files after commit).
"""

import uuid
from datetime import timedelta

from django.utils import timezone

from images.errors import ImageNotFound
from images.lifecycle import images_delete
from images.models import Image
from users.models import User

__all__ = ["image_restore", "image_trash", "trash_empty", "trash_purge_expired"]


def image_trash(*, owner: User, image_id: uuid.UUID) -> None:
    """Moves one of ``owner``'s images to the trash.

    It leaves every list, album and share at once (they all read only untrashed images); its
    rows and files stay, and keep counting against the quota, until it is restored or purged.
    Trashing one already in the trash is ``ImageNotFound``, as for a missing image.
    """
    # A locked picture is not trashed: it is unlocked first (``images.locked``).
    moved = Image.objects.filter(
        pk=image_id, owner=owner, trashed_at__isnull=True, locked_at__isnull=True
    ).update(trashed_at=timezone.now(), updated_at=timezone.now())
    if not moved:
        raise ImageNotFound()


def image_restore(*, owner: User, image_id: uuid.UUID) -> Image:
    """Takes one of ``owner``'s images out of the trash, back into its albums and shares."""
    restored = Image.objects.filter(pk=image_id, owner=owner, trashed_at__isnull=False).update(
        trashed_at=None, updated_at=timezone.now()
    )
    if not restored:
        raise ImageNotFound()
    return Image.objects.get(pk=image_id)


def trash_empty(*, owner: User) -> int:
    """Purges everything in ``owner``'s trash (rows now, files after commit); returns how many."""
    return images_delete(queryset=Image.objects.filter(owner=owner, trashed_at__isnull=False))


def trash_purge_expired(*, older_than: timedelta) -> int:
    """Purges, for every account, what has been in the trash longer than ``older_than``.

    The periodic sweep's job (``ATELIER_TRASH_DAYS``). Purges in batches, each its own
    transaction, so a large backlog never holds locks for long. Returns how many went.
    """
    cutoff = timezone.now() - older_than
    purged = 0
    while True:
        batch = list(Image.objects.filter(trashed_at__lt=cutoff).values_list("pk", flat=True)[:500])
        if not batch:
            return purged
        purged += images_delete(queryset=Image.objects.filter(pk__in=batch, trashed_at__lt=cutoff))
