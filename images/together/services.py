"""What a member changes inside a shared album: its words and cover, its pictures, and a copy
of someone else's picture saved to their own gallery.

Each service asks the policy first, then locks in the project's one order (``images.locks``):
the album OWNER's account, then the album's row, then the pictures, whoever the caller is, so
a member's change, the owner's album edits and an account's deletion queue rather than
deadlock. Never the caller's own account as well: two members of each other's albums would
take the two accounts in opposite orders. The membership is read again once the album is
locked, so a member removed meanwhile changes nothing. Every change is recorded in the album's
activity in the same transaction (``images.activity``).
"""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput
from images import access
from images.activity import activity_record
from images.albums import MAX_IDS_PER_CALL
from images.locks import owner_lock
from images.models import Album, AlbumActivity, AlbumImage, Image
from images.together.selectors import PolicyAnswers, open_as_member

_UNSET: Any = object()

__all__ = [
    "MAX_IDS_PER_CALL",
    "shared_album_images_add",
    "shared_album_images_remove",
    "shared_album_update",
]


def shared_album_update(
    *,
    principal: access.Member,
    title: str | None = None,
    description: str | None = None,
    cover_image_id: uuid.UUID | None = _UNSET,
) -> access.Member:
    """Changes the title, the description or the cover (a picture the editor sees in the
    album, or null for the one added last); returns the principal with the album as it is now.
    """
    access.access_check(
        principal=principal, action=access.Action.ALBUM_EDIT, target=principal.album
    )
    with transaction.atomic():
        principal, current = _album_locked(principal, access.Action.ALBUM_EDIT)
        fields = ["updated_at"]
        if title is not None:
            current.title = title
            fields.append("title")
        if description is not None:
            current.description = description
            fields.append("description")
        if cover_image_id is not _UNSET:
            # Locked (album, then picture), so it cannot leave the album before the commit.
            if cover_image_id is not None and not (
                Image.objects.select_for_update().filter(pk=cover_image_id).exists()
                and access.images_visible(principal=principal).filter(pk=cover_image_id).exists()
            ):
                raise InvalidInput("Not an image in this album.", field="cover_image")
            current.cover_id = cover_image_id
            fields.append("cover")
        current.save(update_fields=fields)
    return open_as_member(user=principal.user, album_id=current.pk)


def shared_album_images_add(
    *, principal: access.Member, image_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Adds the caller's own live pictures; per id ``added``, ``already_in_album`` or
    ``not_found`` (anyone else's picture, a missing one and one in the trash alike)."""
    access.access_check(
        principal=principal, action=access.Action.ALBUM_CONTRIBUTE, target=principal.album
    )
    ids = _distinct(image_ids)
    with transaction.atomic():
        principal, album = _album_locked(principal, access.Action.ALBUM_CONTRIBUTE)
        answers = PolicyAnswers(principal)
        own = [
            image
            for image in Image.objects.select_for_update()
            .filter(
                owner_id=principal.user.pk,
                pk__in=ids,
                trashed_at__isnull=True,
                locked_at__isnull=True,  # the locked folder is in no album
            )
            .order_by("pk")
            .only("id", "owner_id", "trashed_at", "locked_at")
            if answers.allows(access.Action.ALBUM_CONTRIBUTE, image)
        ]
        found = {image.pk for image in own}
        present = set(
            AlbumImage.objects.filter(album_id=album.pk, image_id__in=found).values_list(
                "image_id", flat=True
            )
        )
        new = [pk for pk in ids if pk in found and pk not in present]
        AlbumImage.objects.bulk_create(
            [AlbumImage(album_id=album.pk, image_id=pk) for pk in new], ignore_conflicts=True
        )
        if new:
            Album.objects.filter(pk=album.pk).update(updated_at=timezone.now())
            _record(principal, AlbumActivity.Kind.ADDED, new)
    return [
        {
            "image_id": pk,
            "result": "not_found"
            if pk not in found
            else "already_in_album"
            if pk in present
            else "added",
        }
        for pk in ids
    ]


def shared_album_images_remove(
    *, principal: access.Member, image_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Takes pictures out of the album (they stay in their owners' galleries); per id
    ``removed``, ``not_in_album`` (one of the caller's own live pictures) or ``not_found``
    (anything the caller may not remove: a contributor removes only their own)."""
    access.access_check(
        principal=principal, action=access.Action.ALBUM_CONTRIBUTE, target=principal.album
    )
    ids = _distinct(image_ids)
    with transaction.atomic():
        principal, album = _album_locked(principal, access.Action.ALBUM_CONTRIBUTE)
        answers = PolicyAnswers(principal)
        # Every named row, in one order, before anything is read of them.
        list(Image.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        removable = {
            image.pk
            for image in access.images_visible(principal=principal)
            .filter(pk__in=ids)
            .only("id", "owner_id", "trashed_at", "locked_at")
            if answers.allows(access.Action.ALBUM_CURATE, image)
        }
        own = set(
            Image.objects.filter(
                owner_id=principal.user.pk,
                pk__in=ids,
                trashed_at__isnull=True,
                locked_at__isnull=True,
            ).values_list("pk", flat=True)
        )
        removed = [pk for pk in ids if pk in removable]
        AlbumImage.objects.filter(album_id=album.pk, image_id__in=removed).delete()
        if removed:
            Album.objects.filter(pk=album.pk).update(updated_at=timezone.now())
            _record(principal, AlbumActivity.Kind.REMOVED, removed)
    return [
        {
            "image_id": pk,
            "result": "removed"
            if pk in removable
            else "not_in_album"
            if pk in own
            else "not_found",
        }
        for pk in ids
    ]


def _album_locked(principal: access.Member, action: access.Action) -> tuple[access.Member, Album]:
    """Locks the album owner's account, then the album; the principal read again under those
    locks (a member removed or an album deleted meanwhile is refused here, as at the door)."""
    owner_lock(owner=principal.album.owner)
    album = Album.objects.select_for_update().filter(pk=principal.album.pk).first()
    if album is None:
        raise access.AccessRefused()
    current = open_as_member(user=principal.user, album_id=album.pk)
    access.access_check(principal=current, action=action, target=current.album)
    return current, current.album


def _record(principal: access.Member, kind: AlbumActivity.Kind, ids: list[uuid.UUID]) -> None:
    one = Image.objects.filter(pk=ids[0]).first() if len(ids) == 1 else None
    activity_record(
        album=principal.album, actor=principal.user, kind=kind, image=one, count=len(ids)
    )


def _distinct(image_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    ids = list(dict.fromkeys(image_ids))
    if len(ids) > MAX_IDS_PER_CALL:
        raise InvalidInput(f"At most {MAX_IDS_PER_CALL} ids per call.", field="image_ids")
    return ids
