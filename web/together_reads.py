"""The shared albums' pages' reads (issue 20): what the members API's selectors, serializers
and the access policy give, for the pages of ``web.together_pages``.

As in ``web.reads``, nothing here decides who may see what: the caller inside an album is the
policy's ``Member`` principal (``images.together.selectors.open_as_member``, which answers
an invitee who has not accepted, a removed member and a stranger like a missing album), its
pictures and activity are read through that principal's scope, and each body is the API's
own serializer's, so a page shows exactly what the API would show the same account.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from images import access, activity, selectors
from images.activity_serializers import AlbumActivitySerializer
from images.members import selectors as member_selectors
from images.members.serializers import (
    AlbumSharedWithMeSerializer,
    InvitationSerializer,
    MemberSerializer,
)
from images.models import AlbumMember, Image
from images.serializers import ImageSerializer
from images.together import selectors as together_selectors
from images.together.links import member_rendition_url
from images.together.serializers import MemberAlbumImageSerializer, MemberAlbumSerializer
from users.authentication import request_user
from web.reads import KeysetPages, Page, rows_paginate

# The albums and invitations a "Shared with me" page lists (the most recent ones).
SHARED_LIST_SIZE = 30


# --- the invitee's and member's lists ------------------------------------------------------------


def invitations_pending_read(*, request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's pending invitations, newest first, as the API's invitation list shows them
    (an invitation is its invitee's: the rows are read by the invitee, as that list reads)."""
    mine = AlbumMember.objects.filter(user=request_user(request))
    rows = member_selectors.invitations_pending(queryset=mine).order_by("-invited_at", "-id")
    return list(InvitationSerializer(rows[:SHARED_LIST_SIZE], many=True).data)


def invitations_pending_count(*, user: Any) -> int:
    """How many invitations wait for ``user``'s answer (one query; the nav's badge)."""
    if not (user and user.is_authenticated):
        return 0
    mine = AlbumMember.objects.filter(user=user)
    return member_selectors.invitations_pending(queryset=mine).count()


def shared_albums_read(*, request: HttpRequest) -> list[dict[str, Any]]:
    """The albums shared with the caller, the one joined last first, as the API lists them,
    each with ``cover_thumbnail``: a member's signed URL of its cover as the caller sees it
    (the chosen one in their scope, else the picture added last). Two queries however
    many albums: the list with its covers' ids, the covers through each album's member
    scope (``access.member_pictures``), nothing per album; at most ``SHARED_LIST_SIZE``."""
    user = request_user(request)
    rows = list(
        member_selectors.shared_albums_list(user=user).order_by("-joined_at", "-id")[
            :SHARED_LIST_SIZE
        ]
    )
    bodies = AlbumSharedWithMeSerializer(rows, many=True).data
    members = access.member_principals_listed(user=user, albums=rows)
    covers = access.member_pictures(
        members=members,
        image_ids=[getattr(album, "cover_effective_id", None) for album in rows],
    )
    cache: dict[str, Any] = {}
    return [
        {**body, "cover_thumbnail": _cover_thumbnail(member, covers.get(album.pk), cache)}
        for album, body, member in zip(rows, bodies, members, strict=True)
    ]


def _cover_thumbnail(
    principal: access.Member, cover: Image | None, cache: dict[str, Any]
) -> str | None:
    """The signed thumbnail URL of the album's cover as the caller sees it, or None."""
    if cover is None or not cover.thumbnail_key:
        return None
    target = access.Rendition(image=cover, name=access.THUMBNAIL)
    if not member_allows(principal, access.Action.RENDITION_VIEW, target):
        return None
    url, _ = member_rendition_url(
        request=None,
        user=principal.user,
        album_id=principal.album.pk,
        image_id=cover.pk,
        rendition=access.THUMBNAIL,
        cache=cache,
    )
    return url


# --- inside one shared album ---------------------------------------------------------------------


def member_open(*, request: HttpRequest, album_id: uuid.UUID) -> access.Member:
    """The caller inside the album, let in to list it; else ``AccessRefused`` (the page's 404,
    exactly as a missing album's)."""
    principal = together_selectors.open_as_member(user=request.user, album_id=album_id)
    album = principal.album
    access.access_check(principal=principal, action=access.Action.ALBUM_LIST, target=album)
    return principal


def member_allows(principal: access.Member, action: access.Action, target: Any = None) -> bool:
    """The policy's answer for the caller inside the album (the album itself by default)."""
    return access.access_allows(
        principal=principal, action=action, target=principal.album if target is None else target
    )


def shared_album_read(*, request: HttpRequest, principal: access.Member) -> dict[str, Any]:
    """The album as the API's shared album detail shows it to the caller."""
    summary = together_selectors.shared_album_summary(principal=principal)
    context = {"request": request, "principal": principal}
    return dict(MemberAlbumSerializer(summary, context=context).data)


def _image_context(request: HttpRequest, principal: access.Member) -> dict[str, Any]:
    return {
        "request": request,
        "principal": principal,
        "answers": together_selectors.PolicyAnswers(principal),
    }


def shared_images_read(
    *, request: HttpRequest, principal: access.Member, cursor: str | None, size: int
) -> Page:
    """One page of the album's pictures, newest first, as the API's list shows them to the
    caller (a constant number of queries however many pictures, owners and likes)."""
    images = together_selectors.shared_album_images(principal=principal)
    page = rows_paginate(KeysetPages(cursor=cursor, size=size), images, request=request)
    context = _image_context(request, principal)
    results = MemberAlbumImageSerializer(page.rows, many=True, context=context).data
    return Page(results=list(results), next=page.next, previous=page.previous)


@dataclass(frozen=True)
class SharedPicture:
    """One picture of the album as the caller sees it, and what they may do with it."""

    body: dict[str, Any]
    may_save: bool
    may_remove: bool


def shared_image_read(
    *, request: HttpRequest, principal: access.Member, image_id: uuid.UUID
) -> SharedPicture:
    """One picture of the album (``AccessRefused`` for any other), as the API shows it."""
    image = together_selectors.shared_album_image_get(principal=principal, image_id=image_id)
    access.access_check(principal=principal, action=access.Action.IMAGE_VIEW, target=image)
    body = dict(MemberAlbumImageSerializer(image, context=_image_context(request, principal)).data)
    return SharedPicture(
        body=body,
        may_save=member_allows(principal, access.Action.IMAGE_SAVE, image),
        may_remove=member_allows(principal, access.Action.ALBUM_CURATE, image),
    )


def activity_read(
    *,
    request: HttpRequest,
    principal: access.Member,
    cursor: str | None,
    size: int,
    image_id: uuid.UUID | None = None,
) -> Page:
    """One page of the album's activity (or of one picture's comments), newest first, as the
    API's activity list shows it (one query a page)."""
    events = activity.activity_for_member(member=principal, image_id=image_id)
    page = rows_paginate(KeysetPages(cursor=cursor, size=size), events, request=request)
    results = AlbumActivitySerializer(page.rows, many=True, context={"member": principal}).data
    return Page(results=list(results), next=page.next, previous=page.previous)


def contribution_picks_read(
    *, request: HttpRequest, principal: access.Member, size: int
) -> list[dict[str, Any]]:
    """The caller's own newest live pictures not in the album yet, as the API's image list
    shows them: what "Add my pictures" offers (none where the role adds nothing)."""
    if not member_allows(principal, access.Action.ALBUM_CONTRIBUTE):
        return []
    owner = access.Owner(user=request_user(request))
    live: QuerySet[Image] = selectors.images_live(access.images_visible(principal=owner))
    picks = (
        selectors.image_fields_for_listing(live)
        .exclude(memberships__album_id=principal.album.pk)
        .order_by("-created_at", "-pk")[:size]
    )
    return list(ImageSerializer(picks, many=True, context={"request": request}).data)


# --- the owner's album page ----------------------------------------------------------------------


def album_members_read(*, request: HttpRequest, album_id: uuid.UUID) -> list[dict[str, Any]]:
    """The album's members and pending invitations, oldest first, as the API's member list
    shows them to whoever may manage them (its owner); else ``AccessRefused``."""
    principal = together_selectors.open_as_member(user=request.user, album_id=album_id)
    access.access_check(
        principal=principal, action=access.Action.MEMBERS_MANAGE, target=principal.album
    )
    rows = member_selectors.album_members(album=principal.album).order_by("invited_at", "id")
    return list(MemberSerializer(rows, many=True).data)
