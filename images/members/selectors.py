"""Reads of memberships: an album's members (for its owner), an account's pending
invitations, and the albums shared with an account, each one query per page."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from images import access
from images.models import Album, AlbumImage, AlbumMember
from users.models import User

__all__ = ["album_members", "invitations_pending", "shared_albums_list"]


def album_members(*, album: Album) -> QuerySet[AlbumMember]:
    """Every member of ``album`` and every pending invitation to it, oldest first."""
    return AlbumMember.objects.filter(album_id=album.pk).select_related("user")


def invitations_pending(*, queryset: QuerySet[AlbumMember]) -> QuerySet[AlbumMember]:
    """Of ``queryset`` (an invitee's rows), the invitations not yet accepted, from owners
    whose accounts are active (``access.member_principal`` would refuse any other)."""
    return queryset.filter(accepted_at__isnull=True, album__owner__is_active=True).select_related(
        "album__owner"
    )


def shared_albums_list(*, user: User) -> QuerySet[Album]:
    """The albums shared with ``user`` (``access.albums_shared_with``), each with ``role``
    and ``joined_at`` (``user``'s membership) and ``image_count``: the pictures its members
    see, as ``access.images_visible`` scopes them for a member (live, and the owner's or an
    accepted member's). Subqueries, so a page is one query however many albums it holds."""
    mine = AlbumMember.objects.filter(album_id=OuterRef("pk"), user=user)
    accepted = AlbumMember.objects.filter(
        album_id=OuterRef(OuterRef("pk")), accepted_at__isnull=False
    ).values("user_id")
    seen = AlbumImage.objects.filter(
        album_id=OuterRef("pk"), image__trashed_at__isnull=True, image__locked_at__isnull=True
    ).filter(Q(image__owner_id=OuterRef("owner_id")) | Q(image__owner_id__in=accepted))
    count = seen.order_by().values("album_id").annotate(n=Count("pk")).values("n")[:1]
    # The cover a member sees: the chosen one while it is in their scope, else the picture
    # added last of those they see (as the owner's album list picks it).
    chosen = seen.filter(image_id=OuterRef("cover_id")).values("image_id")[:1]
    latest = seen.order_by("-added_at", "-pk").values("image_id")[:1]
    return (
        access.albums_shared_with(user=user)
        .select_related("owner")
        .annotate(
            role=Subquery(mine.values("role")[:1]),
            joined_at=Subquery(mine.values("accepted_at")[:1]),
            image_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
            cover_effective_id=Coalesce(Subquery(chosen), Subquery(latest)),
        )
    )
