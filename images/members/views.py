"""The members API: the owner's members and invitations of an album, the caller's own
invitations, the albums shared with the caller, and leaving one.

Thin views: each parses with a serializer, calls one service or selector of this package
and serializes the answer. Whether the caller may manage an album's members, or leave it,
is the access policy's (``images.access``) answer about the caller's ``Member`` principal;
anything the caller may not see answers exactly like something missing.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from core.ownership import OwnerScopedViewSet
from core.throttling import AlbumInviteRateThrottle
from images import access
from images.members import selectors, services
from images.members.schema import (
    ALBUM_MEMBER_VIEWSET_SCHEMA,
    INVITATION_VIEWSET_SCHEMA,
    SHARED_ALBUM_LEAVE_SCHEMA,
    SHARED_ALBUM_LIST_SCHEMA,
)
from images.members.serializers import (
    AlbumSharedWithMeSerializer,
    InvitationSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    MembershipSerializer,
    MemberUpdateSerializer,
)
from images.models import Album, AlbumMember
from images.pagination import KeysetCursorPagination
from images.serializers import EmptySerializer
from users.authentication import request_user


class MayManageMembers(BasePermission):
    """Allows the album's owner (whom the policy lets manage its members) and no one else;
    sets ``view.album``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = access.member_principal(user=request.user, album_id=view.kwargs["album_id"])
        if principal is None:
            raise access.AccessRefused()
        access.access_check(
            principal=principal, action=access.Action.MEMBERS_MANAGE, target=principal.album
        )
        view.album = principal.album
        return True


@ALBUM_MEMBER_VIEWSET_SCHEMA
class AlbumMemberViewSet(
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """An album's members and pending invitations, for its owner: invite, change a role,
    remove a member or withdraw an invitation."""

    permission_classes = [IsAuthenticated, MayManageMembers]
    serializer_class = MemberSerializer
    lookup_url_kwarg = "member_id"
    pagination_class = None  # an album's members fit on one page; the owner sees them all
    filter_backends: list = []
    album: Album

    def get_queryset(self) -> QuerySet[AlbumMember]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return AlbumMember.objects.none()
        return selectors.album_members(album=self.album)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return MemberCreateSerializer
        if self.action == "partial_update":
            return MemberUpdateSerializer
        return MemberSerializer

    def get_throttles(self) -> list:
        # Every invitation, refused or not, counts: its answer tells whether an account exists.
        if self.action == "create":
            return [AlbumInviteRateThrottle()]
        return super().get_throttles()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_invite(
            owner=request_user(request),
            album=self.album,
            identifier=serializer.validated_data["user"],
            role=serializer.validated_data["role"],
        )
        return Response(self._representation(member), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_update(
            owner=request_user(request),
            album=self.album,
            member_id=member.pk,
            role=serializer.validated_data["role"],
        )
        return Response(self._representation(member))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.get_object()
        services.member_remove(owner=request_user(request), album=self.album, member_id=member.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _representation(self, member: AlbumMember) -> dict[str, Any]:
        return MemberSerializer(member, context=self.get_serializer_context()).data


class InvitationCursorPagination(KeysetCursorPagination):
    """The caller's invitations, newest first."""

    ordering = "-invited_at"


@INVITATION_VIEWSET_SCHEMA
class InvitationViewSet(mixins.ListModelMixin, OwnerScopedViewSet):
    """The caller's pending invitations: accept or decline each."""

    model = AlbumMember
    owner_field = "user"  # an invitation is its invitee's to answer
    permission_classes = [IsAuthenticated]
    pagination_class = InvitationCursorPagination
    filter_backends: list = []

    def safely_get_queryset(self, queryset: QuerySet[AlbumMember]) -> QuerySet[AlbumMember]:
        return selectors.invitations_pending(queryset=queryset)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action in ("accept", "decline"):
            return EmptySerializer  # they take no body
        return InvitationSerializer

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        invitation = self.get_object()
        member = services.invitation_accept(user=request_user(request), invitation_id=invitation.pk)
        return Response(MembershipSerializer(member, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        invitation = self.get_object()
        services.invitation_decline(user=request_user(request), invitation_id=invitation.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SharedAlbumCursorPagination(KeysetCursorPagination):
    """The albums shared with the caller, the one joined last first."""

    ordering = "-joined_at"


@SHARED_ALBUM_LIST_SCHEMA
class SharedAlbumListView(ListAPIView):
    """The albums other accounts share with the caller, who accepted their invitations."""

    permission_classes = [IsAuthenticated]
    serializer_class = AlbumSharedWithMeSerializer
    pagination_class = SharedAlbumCursorPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Album]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return Album.objects.none()
        return selectors.shared_albums_list(user=request_user(self.request))


class SharedAlbumLeaveView(APIView):
    """Leaves an album shared with the caller; their pictures leave it with them."""

    permission_classes = [IsAuthenticated]

    @SHARED_ALBUM_LEAVE_SCHEMA
    def post(self, request: Request, album_id: uuid.UUID) -> Response:
        services.membership_leave(user=request_user(request), album_id=album_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
