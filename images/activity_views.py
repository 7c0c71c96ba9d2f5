"""A shared album's activity, comments and likes, for its owner and its accepted members.

Each request is made a ``Member`` principal first (``access.member_principal``, which reads
the caller's role afresh): anyone else (an invitee who has not accepted, a member removed
or gone, a stranger) is the 404 of a missing album, on every endpoint alike; anonymous is a
401, as everywhere in the API. The services in ``images.activity`` then ask the access
policy about the album, the picture or the comment.
"""

import uuid

from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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
from images.pagination import KeysetCursorPagination


def member_required(request: Request, album_id: uuid.UUID) -> access.Member:
    """The caller as a member of the album (its owner included), else ``AccessRefused``."""
    member = access.member_principal(user=request.user, album_id=album_id)
    if member is None:
        raise access.AccessRefused()
    return member


class AlbumActivityView(GenericAPIView):
    """A shared album's activity, newest first (comments among it)."""

    permission_classes = [IsAuthenticated]
    serializer_class = AlbumActivitySerializer
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    @ACTIVITY_LIST_SCHEMA
    def get(self, request: Request, album_id: uuid.UUID) -> Response:
        member = member_required(request, album_id)
        params = ActivityFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        events = activity.activity_for_member(
            member=member, image_id=params.validated_data.get("image")
        )
        page = self.paginate_queryset(events)
        context = {**self.get_serializer_context(), "member": member}
        return self.get_paginated_response(
            AlbumActivitySerializer(page, many=True, context=context).data
        )


class AlbumCommentsView(APIView):
    """Comments on a shared album or its pictures (each a kind of activity)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [AlbumCommentRateThrottle]

    @COMMENT_CREATE_SCHEMA
    @idempotent
    def post(self, request: Request, album_id: uuid.UUID) -> Response:
        member = member_required(request, album_id)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = activity.comment_create(
            member=member,
            text=serializer.validated_data["text"],
            image_id=serializer.validated_data["image"],
        )
        context = {"request": request, "member": member}
        return Response(
            AlbumActivitySerializer(event, context=context).data, status=status.HTTP_201_CREATED
        )


class AlbumCommentDetailView(APIView):
    """One comment: deleted by its author, or by the album's owner."""

    permission_classes = [IsAuthenticated]

    @COMMENT_DELETE_SCHEMA
    def delete(self, request: Request, album_id: uuid.UUID, pk: uuid.UUID) -> Response:
        member = member_required(request, album_id)
        activity.comment_delete(member=member, comment_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlbumImageLikeView(APIView):
    """The caller's like of a picture in a shared album: put it, or take it back."""

    permission_classes = [IsAuthenticated]

    @LIKE_SCHEMA
    def put(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        return self._set(request, album_id, image_id, liked=True)

    @UNLIKE_SCHEMA
    def delete(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        return self._set(request, album_id, image_id, liked=False)

    def _set(
        self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID, *, liked: bool
    ) -> Response:
        member = member_required(request, album_id)
        state = activity.album_like_set(member=member, image_id=image_id, liked=liked)
        return Response(LikeSerializer(state).data)
