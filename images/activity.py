"""A shared album's activity: what its members did, as they see it; its comments and likes.

Every service that changes a shared album's pictures or members records it here, in the
same transaction as the change, so the activity never tells of something that did not
happen. Recorded only for albums with members (an album nobody else sees has no audience).

What a member reads and writes here (the activity, comments, likes) is decided by
``images.access`` on the ``Member`` principal, checked again in each service whoever calls
it: an event names its picture only while the member can see it, so the activity never
leaks a picture that was trashed, taken out of the album or left with its member. Likes are
keyed on the album and the picture: when a picture leaves an album, ``album_likes_clear``
takes its likes there with it.
"""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from core.errors import InvalidInput
from images import access
from images.access import Action, Member
from images.models import Album, AlbumActivity, AlbumImage, AlbumLike, AlbumMember, Image
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


# --- what a member reads -----------------------------------------------------------------------

# What an event shows: its own columns and its actor's name (never the rest of the account).
_EVENT_FIELDS = (
    "id",
    "album_id",
    "kind",
    "image_id",
    "count",
    "text",
    "created_at",
    "actor__id",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
)


def activity_for_member(
    *, member: Member, image_id: uuid.UUID | None = None
) -> QuerySet[AlbumActivity]:
    """``member``'s album's activity, newest first, its actor read along (one query a page).

    Each event carries ``image_visible``: whether its picture is one the member sees now
    (``access.images_visible``), so a picture trashed, taken out of the album or gone with a
    member who left is never named. ``image_id`` narrows it to one picture's events, and to
    none where the member cannot see that picture (missing and hidden alike).
    """
    access.access_check(principal=member, action=Action.ACTIVITY_VIEW, target=member.album)
    visible = access.images_visible(principal=member).filter(pk=OuterRef("image_id"))
    events = (
        AlbumActivity.objects.filter(album_id=member.album.pk)
        .select_related("actor")
        .only(*_EVENT_FIELDS)
        .annotate(image_visible=Exists(visible))
        .order_by("-created_at", "-id")
    )
    if image_id is not None:
        events = events.filter(image_id=image_id, image_visible=True)
    return events


def actor_display_name(*, user: User) -> str:
    """What a member is called in an album: their full name, else their username."""
    return user.get_full_name().strip() or user.username


# --- comments ----------------------------------------------------------------------------------

COMMENT_MAX_LENGTH = 2000
# Newlines and tabs are what a person types; every other control character (C0, DEL, C1)
# is refused rather than removed, so what is stored is exactly what was sent, or nothing.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("\r\n?")


def comment_text_clean(*, text: str) -> str:
    """``text`` as a comment keeps it: line breaks as ``\\n``, surrounding whitespace off,
    1 to 2,000 characters, no control character but newline and tab anywhere (looked for
    before trimming, as Python counts some of them whitespace); ``InvalidInput`` on ``text``
    otherwise. Nothing is escaped here: a comment is stored as typed and escaped wherever it
    is shown."""
    text = _LINE_BREAK.sub("\n", text)
    if _CONTROL.search(text):
        raise InvalidInput(
            "Control characters are not allowed in a comment (newlines and tabs are).",
            field="text",
            code="control_character",
        )
    text = text.strip()
    if not text:
        raise InvalidInput(
            "Write something: a comment has 1 to 2,000 characters.", field="text", code="blank"
        )
    if len(text) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            f"A comment has at most {COMMENT_MAX_LENGTH:,} characters; this one has {len(text):,}.",
            field="text",
            code="max_length",
        )
    return text


def comment_create(
    *, member: Member, text: str, image_id: uuid.UUID | None = None
) -> AlbumActivity:
    """A comment of ``member``'s on their album, or on one of its pictures they see.

    A picture they cannot see (missing, another album's, trashed, gone with its member) is
    refused in the same words as a missing one. The album's picture is locked while the
    comment is written, so a removal committing meanwhile either comes after it or is seen.
    """
    access.access_check(principal=member, action=Action.COMMENT_CREATE, target=member.album)
    text = comment_text_clean(text=text)
    with transaction.atomic():
        image = None
        if image_id is not None:
            image = _picture_locked(member=member, image_id=image_id)
            if image is None:
                raise InvalidInput("No such picture in this album.", field="image")
        event = activity_record(
            album=member.album,
            actor=member.user,
            kind=AlbumActivity.Kind.COMMENT,
            image=image,
            text=text,
            always=True,
        )
    assert event is not None  # always=True records whoever is there to see it
    return activity_for_member(member=member).get(pk=event.pk)


def comment_delete(*, member: Member, comment_id: uuid.UUID) -> None:
    """Deletes a comment: its author's, or any in the album for its owner. Anything else
    (another's comment, an event that is not a comment, another album's) is ``AccessRefused``,
    the 404 of a missing one."""
    access.access_check(principal=member, action=Action.ACTIVITY_VIEW, target=member.album)
    event = AlbumActivity.objects.filter(pk=comment_id, album_id=member.album.pk).first()
    if event is None:
        raise access.AccessRefused()
    access.access_check(principal=member, action=Action.COMMENT_DELETE, target=event)
    AlbumActivity.objects.filter(pk=event.pk).delete()


# --- likes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikeState:
    """A picture's likes in an album: how many, and whether the caller's is among them."""

    like_count: int
    liked: bool


def album_like_set(*, member: Member, image_id: uuid.UUID, liked: bool) -> LikeState:
    """Likes (or unlikes) a picture of ``member``'s album; doing it twice changes nothing.

    A picture the member cannot see in the album is ``AccessRefused`` (a 404). The album's
    picture is locked meanwhile, so a like never outlives the picture's leaving the album
    (``album_likes_clear``, in the same transaction as the removal).
    """
    access.access_check(principal=member, action=Action.COMMENT_CREATE, target=member.album)
    with transaction.atomic():
        image = _picture_locked(member=member, image_id=image_id)  # IMAGE_VIEW asked there
        if image is None:
            raise access.AccessRefused()
        if liked:
            AlbumLike.objects.bulk_create(
                [AlbumLike(album_id=member.album.pk, image_id=image.pk, user=member.user)],
                ignore_conflicts=True,
            )
        else:
            AlbumLike.objects.filter(
                album_id=member.album.pk, image_id=image.pk, user=member.user
            ).delete()
    return album_like_state(member=member, image_id=image.pk)


def album_like_state(*, member: Member, image_id: uuid.UUID) -> LikeState:
    """How many of the album's people (its owner and accepted members) like the picture,
    and whether ``member`` does (one query)."""
    counts = (
        album_likes_of_people(album=member.album)
        .filter(image_id=image_id)
        .aggregate(like_count=Count("pk"), liked=Count("pk", filter=Q(user_id=member.user.pk)))
    )
    return LikeState(like_count=counts["like_count"], liked=bool(counts["liked"]))


def album_likes_of_people(*, album: Album) -> QuerySet[AlbumLike]:
    """The album's likes by its owner and accepted members: a like of someone who left, or
    was removed, no longer counts (should their row still be there)."""
    members = AlbumMember.objects.filter(album_id=album.pk, accepted_at__isnull=False).values(
        "user_id"
    )
    return AlbumLike.objects.filter(album_id=album.pk).filter(
        Q(user_id=album.owner_id) | Q(user_id__in=members)
    )


def album_likes_clear(*, album_id: uuid.UUID, image_ids: Iterable[uuid.UUID]) -> int:
    """Deletes every like of these pictures in this album: call it, in the same transaction,
    wherever pictures leave an album. Returns how many went."""
    ids = list(image_ids)
    if not ids:
        return 0
    deleted, _ = AlbumLike.objects.filter(album_id=album_id, image_id__in=ids).delete()
    return deleted


def album_likes_of_user_clear(*, album_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Deletes an account's likes in an album: call it, in the same transaction, where a
    member leaves or is removed (they no longer count either way: ``album_likes_of_people``).
    Returns how many went."""
    deleted, _ = AlbumLike.objects.filter(album_id=album_id, user_id=user_id).delete()
    return deleted


def _picture_locked(*, member: Member, image_id: uuid.UUID) -> Image | None:
    """The picture, if ``member`` sees it in their album, its place there locked until the
    transaction ends; else ``None``."""
    placed = list(
        AlbumImage.objects.select_for_update()
        .filter(album_id=member.album.pk, image_id=image_id)
        .values_list("pk", flat=True)
    )
    if not placed:
        return None
    image = access.images_visible(principal=member).filter(pk=image_id).first()
    if image is None or not access.access_allows(
        principal=member, action=Action.IMAGE_VIEW, target=image
    ):
        return None
    return image
