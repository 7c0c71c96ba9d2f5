"""The row locks every writer to a gallery takes, and the one order it takes them in.

Account first (``owner_lock``), then album (``album_covers_lock`` for a deletion that clears
covers), then image: uploads, restyles, renders, album edits, shares and account deletion
all queue on the same rows in the same order, so none of them deadlocks another and an
account deletion cannot miss a row added meanwhile. Each function locks for the rest of the
caller's transaction.
"""

import uuid
from collections.abc import Iterable

from images.errors import AccountGone
from images.models import Album
from users.models import User

__all__ = ["album_covers_lock", "owner_lock"]


def owner_lock(*, owner: User) -> User:
    """Locks the owner's row for the rest of the transaction; ``AccountGone`` if deleted.

    Every change to an owner's images takes this lock first, and account deletion takes it
    too, so an upload or restyle racing the deletion of its account either commits before it
    (and its files are deleted with the account) or finds no account and keeps nothing.
    """
    locked = (
        User.objects.select_for_update()
        .only("id", "quota_bytes", "quota_images")
        .filter(pk=owner.pk)
        .first()
    )
    if locked is None:
        raise AccountGone()
    return locked


def album_covers_lock(*, image_ids: Iterable[uuid.UUID]) -> None:
    """Locks the albums whose cover is one of these images, before the images themselves.

    Deleting an image clears the covers that point at it, which writes those albums' rows;
    album writers lock the album first and the image second, so a deletion must too, or the
    two would wait on each other.
    """
    list(
        Album.objects.select_for_update()
        .filter(cover_id__in=list(image_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
