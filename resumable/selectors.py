"""Reads about resumable uploads: what is reserved against the quota, what is still staged."""

from django.db.models import Count, QuerySet, Sum

from resumable.models import ResumableUpload
from users.models import User

__all__ = ["staging_prefixes_live", "uploads_open", "uploads_reserved"]

# The states whose bytes are still to become an image: counted against the quota.
_OPEN = (ResumableUpload.State.RECEIVING, ResumableUpload.State.COMPLETING)


def uploads_open(*, owner: User) -> QuerySet[ResumableUpload]:
    """The owner's uploads still to become an image (expired ones too, until swept)."""
    return ResumableUpload.objects.filter(owner=owner, state__in=_OPEN)


def uploads_reserved(*, owner: User) -> dict[str, int]:
    """What the owner's uploads still receiving hold against the quota (``images.quota``
    counts it in every check): their declared bytes and one image each. An upload that is
    completing no longer counts: its image is being created, and is counted as itself."""
    totals = ResumableUpload.objects.filter(
        owner=owner, state=ResumableUpload.State.RECEIVING
    ).aggregate(bytes=Sum("length"), images=Count("id"))
    return {"bytes": totals["bytes"] or 0, "images": totals["images"] or 0}


def staging_prefixes_live() -> list[str]:
    """The staging folder of every upload that has a row (the storage audit's hook): the
    sweep removes an expired upload's files and row together, so a row means its files are
    not orphans."""
    return list(
        ResumableUpload.objects.exclude(staging_prefix="").values_list("staging_prefix", flat=True)
    )
