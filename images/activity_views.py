"""A shared album's activity, comments and likes, for its owner and its accepted members.

Each request is made a ``Member`` principal first (``access.member_principal``, which reads
the caller's role afresh): anyone else (an invitee who has not accepted, a member removed
or gone, a stranger) is the 404 of a missing album, on every endpoint alike; anonymous is a
401, as everywhere in the API. The services in ``images.activity`` then ask the access
policy about the album, the picture or the comment.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.throttling import AlbumCommentRateThrottle
from idempotency.decorators import idempotent
from images import access, activity
from images.activity_schema import (
    ACTIVITY_LIST_SCHEMA,
    COMMENT_CREATE_SCHEMA,
    COMMENT_DELETE_SCHEMA,
    LIKE_SCHEMA,
    UNLIKE_SCHEMA,
)
from images.activity_serializers import (
    ActivityFilterSerializer,
    AlbumActivitySerializer,
    CommentCreateSerializer,
    LikeSerializer,
)
from images.models import AlbumActivity
from images.pagination import KeysetCursorPagination


def member_required(request: Request, album_id: uuid.UUID) -> access.Member:
    """The caller as a member of the album (its owner included), else ``AccessRefused``."""
    member = access.member_principal(user=request.user, album_id=album_id)
    if member is None:
        raise access.AccessRefused()
    return member


class AlbumMemberView(GenericAPIView):
    """A view inside one album shared between accounts: the caller is made its ``Member``
    (``self.member``) before any handler runs, or the request ends in the 404 of a missing
    album. Anonymous is refused first (a 401, ``IsAuthenticated``)."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    member: access.Member

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.member = member_required(request, kwargs["album_id"])

    def get_object(self) -> Any:
        # What these views act on is read by the services, through the access policy. DRF's
        # OPTIONS and its browsable forms ask for an object: there is none for them.
        raise NotFound("Not found.", code="not_found")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "member": getattr(self, "member", None)}


class AlbumActivityView(AlbumMemberView):
    """A shared album's activity, newest first (comments among it)."""

    serializer_class = AlbumActivitySerializer
    pagination_class = KeysetCursorPagination

    def get_queryset(self) -> QuerySet[AlbumActivity]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return AlbumActivity.objects.none()
        params = ActivityFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return activity.activity_for_member(
            member=self.member, image_id=params.validated_data.get("image")
        )

    @ACTIVITY_LIST_SCHEMA
    def get(self, request: Request, album_id: uuid.UUID) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AlbumCommentsView(AlbumMemberView):
    """Comments on a shared album or its pictures (each a kind of activity)."""

    serializer_class = CommentCreateSerializer
    throttle_classes = [AlbumCommentRateThrottle]

    @COMMENT_CREATE_SCHEMA
    @idempotent
    def post(self, request: Request, album_id: uuid.UUID) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = activity.comment_create(
            member=self.member,
            text=serializer.validated_data["text"],
            image_id=serializer.validated_data["image"],
        )
        body = AlbumActivitySerializer(event, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class AlbumCommentDetailView(AlbumMemberView):
    """One comment: deleted by its author, or by the album's owner."""

    @COMMENT_DELETE_SCHEMA
    def delete(self, request: Request, album_id: uuid.UUID, pk: uuid.UUID) -> Response:
        activity.comment_delete(member=self.member, comment_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlbumImageLikeView(AlbumMemberView):
    """The caller's like of a picture in a shared album: put it, or take it back."""

    serializer_class = LikeSerializer

    @LIKE_SCHEMA
    def put(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        return self._set(image_id, liked=True)

    @UNLIKE_SCHEMA
    def delete(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        return self._set(image_id, liked=False)

    def _set(self, image_id: uuid.UUID, *, liked: bool) -> Response:
        state = activity.album_like_set(member=self.member, image_id=image_id, liked=liked)
        return Response(self.get_serializer(state).data)
