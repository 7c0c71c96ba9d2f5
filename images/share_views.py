"""The owner's share links: make, change, revoke and list them, like any owned object.

What a link shows its visitors is the public side's (``images.public``).
"""

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.ownership import OwnerScopedViewSet
from idempotency.decorators import idempotent
from images import shares
from images.access import Action
from images.models import Share
from images.pagination import KeysetCursorPagination
from images.permissions import HasAccess
from images.schema import SHARE_VIEWSET_SCHEMA
from images.share_serializers import (
    ShareCreateSerializer,
    ShareSerializer,
    ShareUpdateSerializer,
)
from users.authentication import request_user


@SHARE_VIEWSET_SCHEMA
class ShareViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    OwnerScopedViewSet,
):
    """The caller's share links: make, change and revoke them, and see how often they are
    opened."""

    model = Share
    permission_classes = [IsAuthenticated, HasAccess]
    access_actions = dict.fromkeys(
        ("list", "retrieve", "create", "partial_update", "destroy"), Action.SHARE_MANAGE
    )
    serializer_class = ShareSerializer
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    def safely_get_queryset(self, queryset: QuerySet[Share]) -> QuerySet[Share]:
        return shares.shares_for_listing(queryset=queryset)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return ShareCreateSerializer
        if self.action == "partial_update":
            return ShareUpdateSerializer
        return ShareSerializer

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        share = shares.share_create(
            owner=request_user(request),
            album_id=data.get("album"),
            image_ids=data.get("image_ids"),
            title=data["title"],
            expires_at=data["expires_at"],
            password=data["password"],
            allow_original=data["allow_original"],
            show_metadata=data["show_metadata"],
        )
        location = request.build_absolute_uri(reverse("share-detail", kwargs={"pk": share.pk}))
        return Response(
            self._representation(share),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        share = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        share = shares.share_update(
            owner=request_user(request), share=share, **serializer.validated_data
        )
        return Response(self._representation(share))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        share = self.get_object()
        shares.share_delete(owner=request_user(request), share_id=share.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _representation(self, share: Share) -> dict[str, Any]:
        return ShareSerializer(share, context=self.get_serializer_context()).data
