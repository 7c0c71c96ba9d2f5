"""Read-side queries for images: every one of them is scoped to an owner."""

import uuid

from django.db.models import Q, QuerySet

from images import counters
from images.models import Image
from users.models import User

# What a list or detail response reads: every column but ``stored_bytes``, which no response
# shows. Kept explicit so a new wide column does not slow every page by accident.
LIST_FIELDS = (
    "id",
    "owner_id",
    "title",
    "description",
    "style",
    "status",
    "kind",
    "original_filename",
    "format",
    "width",
    "height",
    "duration",
    "size",
    "checksum",
    *Image.FILE_KEY_FIELDS,
    "error_code",
    "error_detail",
    "is_favorite",
    "taken_at",
    "taken_at_offset",
    "metadata",
    "latitude",
    "longitude",
    "place_city",
    "place_region",
    "place_country",
    "place_country_code",
    "placeholder",
    "trashed_at",
    "locked_at",
    "created_at",
    "updated_at",
    "timeline_at",  # timeline (issue 22, item 1): shown, and the timeline walk's position
)


def image_fields_for_listing(queryset: QuerySet[Image]) -> QuerySet[Image]:
    """Narrows an (already owner-scoped) queryset to the columns responses show."""
    return queryset.only(*LIST_FIELDS)


def images_live(queryset: QuerySet[Image]) -> QuerySet[Image]:
    """The images of ``queryset`` neither in the trash nor in the locked folder: what lists,
    albums, shares and the pictures' neighbours show."""
    return queryset.filter(trashed_at__isnull=True, locked_at__isnull=True)


def images_locked(queryset: QuerySet[Image]) -> QuerySet[Image]:
    """The images of ``queryset`` in the locked folder (``images.locked``)."""
    return queryset.filter(locked_at__isnull=False, trashed_at__isnull=True)


def images_trashed(queryset: QuerySet[Image]) -> QuerySet[Image]:
    """The images of ``queryset`` in the trash."""
    return queryset.filter(trashed_at__isnull=False)


def image_get_signed(
    *, owner_id: uuid.UUID, image_id: uuid.UUID, locked: bool = False
) -> Image | None:
    """An image reached through a signed URL, with its active owner's password hash.

    The owner comes from the signature's claim; the caller verifies the signature against
    the owner's current credentials before serving anything. ``locked``: an image of the
    locked folder (its own signed URLs), else one out of it (the gallery's).
    """
    return (
        Image.objects.filter(
            owner_id=owner_id,
            pk=image_id,
            owner__is_active=True,
            trashed_at__isnull=True,
            locked_at__isnull=not locked,
        )
        .select_related("owner")
        .only(*LIST_FIELDS, "owner__password")
        .first()
    )


def image_storage_usage(*, owner: User) -> dict[str, int]:
    """What ``owner`` stores now: bytes of every file of every image, and the image count.

    A failed image keeps no file and counts for nothing, its row kept only so the owner can
    read why it failed. Read from the counters the database keeps (``images.counters``):
    one row, however large the library.
    """
    usage = counters.library_usage(owner_id=owner.pk)
    return {"bytes": usage["bytes"], "images": usage["images"]}


def image_storage_usage_for(*, user: User) -> dict[str, int]:
    """What ``user`` stores and what of it is in the trash (counted in the first two as
    well), as the accounts app's usage provider calls it: one query."""
    return counters.library_usage(owner_id=user.pk)


def image_neighbours(
    *, owner: User, image_id: uuid.UUID
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The ids of the images before and after this one in the gallery's default order
    (newest upload first, the id breaking ties): ``(newer, older)``."""
    live = images_live(Image.objects.filter(owner=owner))
    at = live.filter(pk=image_id).values_list("created_at", flat=True).first()
    if at is None:
        return None, None
    pk = image_id
    ids = live.values_list("pk", flat=True)
    newer = (
        ids.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk))
        .order_by("created_at", "pk")
        .first()
    )
    older = (
        ids.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
        .order_by("-created_at", "-pk")
        .first()
    )
    return newer, older
