"""The locked folder's API: move pictures in and out, list them, fetch their bytes.

Everything here but moving pictures *in* needs the owner elevated (``images.locked``): the
permission reads the ``X-Atelier-Elevation`` header (or a locked list's signed URL) and builds
the elevated principal, and the access policy (``images.access``) decides on each picture
with it, on the same ``get_object`` path as the gallery. Without an elevation it is a 403
``elevation_required`` (the owner knows their folder exists); another account's picture is a
404, as anything missing is.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from rest_framework import mixins
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action

# DRF's own NotFound: raised from an authenticator, DRF then marks the request anonymous.
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.ownership import OwnerScopedViewSet
from core.tokens import token_expires
from images import access, delivery, locked, selectors
from images.access import Action
from images.errors import RenditionAbsent, RenditionNotReady
from images.links import SIGNATURE_PARAM
from images.locked_schema import LOCKED_VIEWSET_SCHEMA, lock_schema, locked_rendition_schema
from images.locked_serializers import (
    LockedImageSerializer,
    LockIdsSerializer,
    LockResultsSerializer,
)
from images.models import Image
from images.pagination import KeysetCursorPagination
from images.signing import credential_digest
from users.authentication import request_user
from users.models import User

# A locked picture's bytes are never kept by a browser's cache past the request.
LOCKED_CACHE_CONTROL = "private, no-store"


class LockedRenditionAuthentication(BaseAuthentication):
    """Authenticates ``?sig=`` on a locked rendition's URL as an ``ElevatedGrant``.

    A signature that is forged, expired (its elevation ended), moved to another picture or
    rendition, made before a password change, or of a picture no longer locked is a 404.
    """

    def authenticate(self, request: Request) -> tuple[User, locked.ElevatedGrant] | None:
        token = request.query_params.get(SIGNATURE_PARAM)
        match = getattr(request._request, "resolver_match", None)
        if token is None or match is None:
            return None
        rendition = (match.url_name or "").removeprefix("locked-")
        if rendition not in access.METADATA_FREE_RENDITIONS:
            return None  # a sig elsewhere is no credential; the other classes decide
        image_id = _uuid_or_none(match.kwargs.get("pk"))
        owner_id = locked.locked_signature_owner(token=token)
        image = (
            selectors.image_get_signed(owner_id=owner_id, image_id=image_id, locked=True)
            if owner_id is not None and image_id is not None
            else None
        )
        if image is None or not locked.locked_signature_valid(
            token=token,
            image_id=image.pk,
            rendition=rendition,
            owner_id=image.owner_id,
            credential=credential_digest(image.owner.password),
        ):
            raise NotFound("Not found.")
        grant = locked.ElevatedGrant(
            owner_id=image.owner_id,
            object_id=image.pk,
            actions=frozenset({rendition}),
            expires=token_expires(token=token),
        )
        return image.owner, grant

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class IsElevated(BasePermission):
    """Allows the owner elevated (or a locked list's signed URL), as the policy decides."""

    def has_permission(self, request: Request, view: Any) -> bool:
        elevation = locked.request_elevation(request)
        principal = locked.locked_principal(
            user=request.user, auth=request.auth, elevation=elevation
        )
        if principal is None:
            raise locked.ElevationRequired()
        view.locked_principal = principal
        view.elevation_expires = elevation
        action_ = _action(view)
        if action_ is not None and not access.access_possible(principal=principal, action=action_):
            raise access.AccessRefused()
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        action_ = _action(view)
        if action_ is None:
            raise access.AccessRefused()
        target = obj
        if action_ in (Action.RENDITION_VIEW, Action.ORIGINAL_DOWNLOAD):
            target = access.Rendition(image=obj, name=view.action)
        access.access_check(principal=view.locked_principal, action=action_, target=target)
        return True


class LockedCursorPagination(KeysetCursorPagination):
    """The locked folder, most recently locked first."""

    ordering = "-locked_at"


_FILE_ACTION: dict[str, Any] = {
    "detail": True,
    "methods": ["get"],
    "content_negotiation_class": delivery.FileContentNegotiation,
}
_SIGNED_AUTHENTICATION = [
    LockedRenditionAuthentication,
    *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
]


@LOCKED_VIEWSET_SCHEMA
class LockedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """The caller's locked folder, for the caller elevated."""

    model = Image
    permission_classes = [IsAuthenticated, IsElevated]
    access_actions = {
        "list": Action.IMAGE_VIEW,
        "retrieve": Action.IMAGE_VIEW,
        "original": Action.ORIGINAL_DOWNLOAD,
        **{name: Action.RENDITION_VIEW for name in access.METADATA_FREE_RENDITIONS},
    }
    serializer_class = LockedImageSerializer
    pagination_class = LockedCursorPagination
    # Set by ``IsElevated`` on each request: who is asking, and when their elevation ends.
    locked_principal: access.Owner | access.SignedGrant | None = None
    elevation_expires: int | None = None
    filter_backends: list = []

    def safely_get_queryset(self, queryset: QuerySet[Image]) -> QuerySet[Image]:
        return selectors.image_fields_for_listing(selectors.images_locked(queryset))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "elevation_expires": self.elevation_expires}

    @locked_rendition_schema("original")
    @action(url_path="original", url_name="original", **_FILE_ACTION)
    def original(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file("original")

    @locked_rendition_schema("processed")
    @action(
        url_path="processed",
        url_name="processed",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def processed(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file("processed")

    @locked_rendition_schema("preview")
    @action(
        url_path="preview",
        url_name="preview",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def preview(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file("preview")

    @locked_rendition_schema("thumbnail")
    @action(
        url_path="thumbnail",
        url_name="thumbnail",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def thumbnail(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file("thumbnail")

    @locked_rendition_schema("video")
    @action(
        url_path="video",
        url_name="video",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def video(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file("video")

    @locked_rendition_schema("motion")
    @action(
        url_path="motion",
        url_name="motion",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def motion(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file("motion")

    def _file(self, rendition: str) -> HttpResponseBase:
        image = self.get_object()
        if not delivery.rendition_key(image, rendition):
            if image.status == image.Status.READY:
                raise RenditionAbsent(rendition=rendition)
            raise RenditionNotReady(image=image, rendition=rendition)
        response = delivery.rendition_response(self.request, image, rendition)
        response["Cache-Control"] = LOCKED_CACHE_CONTROL
        return response


class IsElevatedToUnlock(BasePermission):
    """Taking pictures out of the locked folder needs the owner elevated; putting them in
    does not (hiding more is always allowed)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.lock:
            return True
        principal = locked.locked_principal(
            user=request.user, auth=request.auth, elevation=locked.request_elevation(request)
        )
        if not isinstance(principal, access.Owner):
            raise locked.ElevationRequired()
        return True


class LockView(APIView):
    """Moves pictures into the locked folder (``lock``) or out of it."""

    permission_classes = [IsAuthenticated, IsElevatedToUnlock]
    lock = True

    def post(self, request: Request) -> Response:
        serializer = LockIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = locked.images_lock if self.lock else locked.images_unlock
        ids = serializer.validated_data["image_ids"]
        results = move(owner=request_user(request), image_ids=ids)
        return Response(LockResultsSerializer({"results": results}).data)


class ImagesLockView(LockView):
    """Moves pictures into the locked folder."""

    lock = True

    @lock_schema(lock=True)
    def post(self, request: Request) -> Response:
        return super().post(request)


class ImagesUnlockView(LockView):
    """Takes pictures out of the locked folder (elevated)."""

    lock = False

    @lock_schema(lock=False)
    def post(self, request: Request) -> Response:
        return super().post(request)


def _action(view: Any) -> Action | None:
    actions = getattr(view, "access_actions", {})
    name = getattr(view, "action", None)
    if name == "metadata":
        name = "retrieve" if "retrieve" in actions else "list"
    return actions.get(name)


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
