"""Albums: services and selectors. An album names images of its own owner, and only live ones.

Locks are always taken account first (as by every writer, so an account deletion cannot
miss a row added meanwhile), then album, then image (here, and in ``images.lifecycle`` when an
image is deleted, since that clears any album cover pointing at it), so an album change and
an image deletion queue rather than deadlock.

Membership rows stay while an image is in the trash or the locked folder (restoring or
unlocking it puts it back), but every read here and on a share's public side counts only
images out of both. Another account's image, a missing one and one in the trash or the locked
folder are all "not found", in the same words.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.errors import InvalidInput
from images.errors import AlbumNotFound
from images.locks import owner_lock
from images.models import Album, AlbumImage, Image
from users.models import User

# At most this many ids per add or remove call: one request, one bounded transaction.
MAX_IDS_PER_CALL = 500

_UNSET: Any = object()


def album_create(*, owner: User, title: str, description: str = "") -> Album:
    """A new, empty album of ``owner``'s (``AccountGone`` if the account was just deleted)."""
    with transaction.atomic():
        owner_lock(owner=owner)
        return Album.objects.create(owner=owner, title=title, description=description)


def album_update(
    *,
    owner: User,
    album: Album,
    title: str | None = None,
    description: str | None = None,
    cover_image_id: uuid.UUID | None = _UNSET,
    members_see_originals: bool | None = None,
    members_see_metadata: bool | None = None,
) -> Album:
    """Changes the title, the description, the cover (an image in the album, or null) or
    what the album's members see beyond the styled renditions."""
    with transaction.atomic():
        owner_lock(owner=owner)
        current = Album.objects.select_for_update().filter(pk=album.pk, owner=owner).first()
        if current is None:
            raise AlbumNotFound()
        fields = ["updated_at"]
        if title is not None:
            current.title = title
            fields.append("title")
        if description is not None:
            current.description = description
            fields.append("description")
        if members_see_originals is not None:
            current.members_see_originals = members_see_originals
            fields.append("members_see_originals")
        if members_see_metadata is not None:
            current.members_see_metadata = members_see_metadata
            fields.append("members_see_metadata")
        if cover_image_id is not _UNSET:
            # Locked (album, then image: the order every writer takes them), so the image
            # cannot be deleted between this check and the commit.
            if cover_image_id is not None and not (
                Image.objects.select_for_update()
                .filter(
                    pk=cover_image_id, owner=owner, trashed_at__isnull=True, locked_at__isnull=True
                )
                .exists()
                and _live_members(current).filter(image_id=cover_image_id).exists()
            ):
                raise InvalidInput("Not an image in this album.", field="cover_image")
            current.cover_id = cover_image_id
            fields.append("cover")
        current.save(update_fields=fields)
    return album_get(owner=owner, album_id=current.pk)


def album_delete(*, owner: User, album_id: uuid.UUID) -> None:
    """Deletes the album (its images stay) and, with it, every share link made from it.

    The album's row is locked first, as every writer to an album locks it: an add or a
    share of it that is committing meanwhile finishes first (and goes with the album), or
    waits and then finds no album.
    """
    with transaction.atomic():
        owner_lock(owner=owner)
        if not Album.objects.select_for_update().filter(pk=album_id, owner=owner).exists():
            raise AlbumNotFound()
        Album.objects.filter(pk=album_id, owner=owner).delete()


def album_images_add(
    *, owner: User, album: Album, image_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Adds images to the album; says per id ``added``, ``already_in_album`` or ``not_found``.

    The album and the images are locked first, so an image deleted or an album deleted
    meanwhile cannot leave a membership pointing at nothing.
    """
    with transaction.atomic():
        ids, found, present = _members_locked(owner=owner, album=album, image_ids=image_ids)
        new = [pk for pk in ids if pk in found and pk not in present]
        AlbumImage.objects.bulk_create(
            [AlbumImage(album_id=album.pk, image_id=pk) for pk in new], ignore_conflicts=True
        )
        if new:
            Album.objects.filter(pk=album.pk).update(updated_at=timezone.now())
    return _results(ids, found, present, present_word="already_in_album", new_word="added")


def album_images_remove(
    *, owner: User, album: Album, image_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """Removes images from the album; says per id ``removed``, ``not_in_album`` or
    ``not_found`` (the images themselves stay in the gallery)."""
    with transaction.atomic():
        ids, found, present = _members_locked(owner=owner, album=album, image_ids=image_ids)
        AlbumImage.objects.filter(album=album, image_id__in=present).delete()
        if present:
            Album.objects.filter(pk=album.pk).update(updated_at=timezone.now())
    return _results(ids, found, present, present_word="removed", new_word="not_in_album")


def _members_locked(
    *, owner: User, album: Album, image_ids: Sequence[uuid.UUID]
) -> tuple[list[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
    """Locks account, album and the named images (in that order); returns the distinct ids
    asked for, those that are the owner's live images, and those of them in the album."""
    ids = list(dict.fromkeys(image_ids))
    owner_lock(owner=owner)
    if not Album.objects.select_for_update().filter(pk=album.pk, owner=owner).exists():
        raise AlbumNotFound()
    found = set(
        Image.objects.select_for_update()
        .filter(owner=owner, pk__in=ids, trashed_at__isnull=True, locked_at__isnull=True)
        .values_list("pk", flat=True)
    )
    present = set(
        AlbumImage.objects.filter(album=album, image_id__in=found).values_list(
            "image_id", flat=True
        )
    )
    return ids, found, present


def _results(
    ids: list[uuid.UUID],
    found: set[uuid.UUID],
    present: set[uuid.UUID],
    *,
    present_word: str,
    new_word: str,
) -> list[dict[str, Any]]:
    """Per id, in the order asked: ``not_found``, or what was done with it."""
    return [
        {
            "image_id": pk,
            "result": "not_found"
            if pk not in found
            else present_word
            if pk in present
            else new_word,
        }
        for pk in ids
    ]


def albums_with_summary(*, queryset: QuerySet[Album]) -> QuerySet[Album]:
    """Albums with ``image_count``, ``cover_effective_id`` and ``cover_thumbnail_key``.

    The cover is the one chosen while it is a live member of the album, else the image added
    last; one query per page, however many albums it holds.
    """
    live = AlbumImage.objects.filter(
        album=OuterRef("pk"), image__trashed_at__isnull=True, image__locked_at__isnull=True
    )
    count = live.order_by().values("album").annotate(n=Count("pk")).values("n")[:1]
    chosen = live.filter(image_id=OuterRef("cover_id")).values("image_id")[:1]
    latest = live.order_by("-added_at", "-pk").values("image_id")[:1]
    queryset = queryset.annotate(
        image_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
        cover_effective_id=Coalesce(Subquery(chosen), Subquery(latest)),
    )
    return queryset.annotate(
        cover_thumbnail_key=Subquery(
            Image.objects.filter(pk=OuterRef("cover_effective_id")).values("thumbnail_key")[:1]
        )
    )


def album_get(*, owner: User, album_id: uuid.UUID) -> Album:
    album = albums_with_summary(queryset=Album.objects.filter(owner=owner, pk=album_id)).first()
    if album is None:
        raise AlbumNotFound()
    return album


def _live_members(album: Album) -> QuerySet[AlbumImage]:
    return AlbumImage.objects.filter(
        album=album, image__trashed_at__isnull=True, image__locked_at__isnull=True
    )
