"""A shared album's activity: what its members did, as they see it, comments included.

Every service that changes a shared album's pictures or members records it here, in the
same transaction as the change, so the activity never tells of something that did not
happen. Recorded only for albums with members (an album nobody else sees has no audience).
"""

from django.db.models import Exists, OuterRef, QuerySet

from images.models import Album, AlbumActivity, AlbumMember, Image
from users.models import User


def activity_record(
    *,
    album: Album,
    actor: User,
    kind: AlbumActivity.Kind,
    image: Image | None = None,
    count: int = 0,
    text: str = "",
    always: bool = False,
) -> AlbumActivity | None:
    """Records one event of ``album``'s; ``None`` where the album has no members (unless
    ``always``: a join or a comment is recorded whoever is there to see it)."""
    if not always and not album_has_members(album=album):
        return None
    return AlbumActivity.objects.create(
        album=album, actor=actor, kind=kind, image=image, count=count, text=text
    )


def album_has_members(*, album: Album) -> bool:
    """Whether anyone but the owner takes part in (or is invited to) ``album``."""
    return AlbumMember.objects.filter(album_id=album.pk).exists()


def albums_with_members_flag(queryset: QuerySet[Album]) -> QuerySet[Album]:
    """``queryset`` annotated with ``has_members`` (one subquery, however many albums)."""
    return queryset.annotate(
        has_members=Exists(AlbumMember.objects.filter(album_id=OuterRef("pk")))
    )
