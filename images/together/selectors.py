"""What a member reads inside a shared album: the album, its pictures, one picture.

Everything starts from the member's principal (``open_as_member``: the membership read afresh
on this request) and reads through the policy's scope (``access.images_visible``), so a
picture out of the album, in the trash or of an account that left it is simply missing.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.grants import Grant
from images import access
from images.models import AlbumImage, AlbumLike, Image
from images.selectors import LIST_FIELDS

# The owner columns a picture's body names (never the owner's password, email or quotas).
_OWNER_FIELDS = ("owner__id", "owner__username", "owner__first_name", "owner__last_name")


def open_as_member(*, user: Any, album_id: uuid.UUID, grant: Grant | None = None) -> access.Member:
    """The caller inside the album; ``AccessRefused`` (404, like a missing album) for an
    invitee who has not accepted, a removed member, a stranger or no album at all."""
    principal = access.member_principal(user=user, album_id=album_id, grant=grant)
    if principal is None:
        raise access.AccessRefused()
    return principal


def shared_album_images(*, principal: access.Member) -> QuerySet[Image]:
    """The pictures the member sees, with ``like_count`` and ``liked`` (by the member) and
    their owners: one query per page, however many pictures and likes it holds."""
    likes = AlbumLike.objects.filter(album_id=principal.album.pk, image_id=OuterRef("pk"))
    count = likes.order_by().values("image_id").annotate(n=Count("pk")).values("n")[:1]
    return (
        access.images_visible(principal=principal)
        .select_related("owner")
        .only(*LIST_FIELDS, *_OWNER_FIELDS)
        .annotate(
            like_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
            liked=Exists(likes.filter(user_id=principal.user.pk)),
        )
    )


def shared_album_image_get(*, principal: access.Member, image_id: uuid.UUID) -> Image:
    """One picture the member sees; ``AccessRefused`` for any other (missing, elsewhere,
    trashed, not in the album: one and the same 404)."""
    image = shared_album_images(principal=principal).filter(pk=image_id).first()
    if image is None:
        raise access.AccessRefused()
    return image


@dataclass(frozen=True)
class AlbumSummary:
    """The album as its member sees it: counted and covered with what they can see."""

    image_count: int
    cover: Image | None


def shared_album_summary(*, principal: access.Member) -> AlbumSummary:
    """How many pictures the member sees, and the cover: the one chosen while the member sees
    it, else the one added last of those they see."""
    album = principal.album
    visible = access.images_visible(principal=principal)
    cover_id = album.cover_id
    if cover_id is None or not visible.filter(pk=cover_id).exists():
        cover_id = (
            AlbumImage.objects.filter(album_id=album.pk, image__in=visible.values("pk"))
            .order_by("-added_at", "-pk")
            .values_list("image_id", flat=True)
            .first()
        )
    cover = visible.only(*LIST_FIELDS).filter(pk=cover_id).first() if cover_id else None
    return AlbumSummary(image_count=visible.count(), cover=cover)


class PolicyAnswers:
    """The policy's answers for the pictures of one response, asked once per picture owner.

    Inside an album, what a member may do with a picture of the scope depends on whose it is
    (theirs, the album owner's, another member's) and on the album, not on the picture
    (``access._member_allows``), so the answer for the first picture of an owner stands for
    that owner's others on the page. Only pictures read through the member scope (or the
    caller's own live ones, to add) are asked about here; the policy decides those without
    a query of its own.
    """

    def __init__(self, principal: access.Member) -> None:
        self.principal = principal
        self._answers: dict[tuple[uuid.UUID, access.Action, str], bool] = {}

    def allows(self, action: access.Action, image: Image, rendition: str = "") -> bool:
        key = (image.owner_id, action, rendition)
        if key not in self._answers:
            target: access.Target = (
                access.Rendition(image=image, name=rendition) if rendition else image
            )
            self._answers[key] = access.access_allows(
                principal=self.principal, action=action, target=target
            )
        return self._answers[key]
