"""The inside of an album shared between accounts: ``shared-albums/{album_id}/...``.

Each request becomes the caller's principal inside the album (``open_as_member``: the
membership read afresh, an invitee who has not accepted, a removed member and a stranger all
the same 404 as a missing album), reads through that principal's scope and asks the policy;
the views parse, call one selector or service, and serialize. Rendition downloads also take a
member's signed URL (``images.together.authentication``), which becomes the same principal
narrowed to that one rendition.
"""

import dataclasses
import uuid
from typing import Any, cast

from django.http import HttpResponseBase
from django.urls import reverse
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.grants import Grant
from core.throttling import UploadRateThrottle
from idempotency.decorators import idempotent
from images import access, delivery, saving
from images.pagination import KeysetCursorPagination
from images.serializers import (
    AlbumImagesResultSerializer,
    AlbumWordsUpdateSerializer,
    ImageIdsSerializer,
    ImageSerializer,
)
from images.together import selectors, services
from images.together.authentication import MemberRenditionAuthentication
from images.together.schema import (
    SHARED_ALBUM_IMAGE_RETRIEVE_SCHEMA,
    SHARED_ALBUM_IMAGE_SAVE_SCHEMA,
    SHARED_ALBUM_IMAGES_ADD_SCHEMA,
    SHARED_ALBUM_IMAGES_LIST_SCHEMA,
    SHARED_ALBUM_IMAGES_REMOVE_SCHEMA,
    SHARED_ALBUM_RETRIEVE_SCHEMA,
    SHARED_ALBUM_UPDATE_SCHEMA,
    shared_album_rendition_schema,
)
from images.together.serializers import MemberAlbumImageSerializer, MemberAlbumSerializer

# Rendition downloads also accept a member's signed URL, which the other endpoints never do.
# DRF's settings import the dotted paths they are given; its stubs type them as the strings.
_SIGNED_AUTHENTICATION: list[type[BaseAuthentication]] = [
    MemberRenditionAuthentication,
    *cast(list[type[BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES),
]


class _MemberView(APIView):
    """Base of a shared album's endpoints: an account's token or session, then its
    membership of the album in the path."""

    permission_classes = [IsAuthenticated]

    def member(self, request: Request, album_id: uuid.UUID, action: access.Action) -> access.Member:
        """The caller inside the album, let in to ``action`` on it (else the 404 a missing
        album gets): the one door of every endpoint here."""
        principal = selectors.open_as_member(user=request.user, album_id=album_id)
        access.access_check(principal=principal, action=action, target=principal.album)
        return principal

    def image_context(self, request: Request, principal: access.Member) -> dict[str, Any]:
        return {
            "request": request,
            "principal": principal,
            "answers": selectors.PolicyAnswers(principal),
        }

    def album_body(self, request: Request, principal: access.Member) -> dict[str, Any]:
        summary = selectors.shared_album_summary(principal=principal)
        context = {"request": request, "principal": principal}
        return MemberAlbumSerializer(summary, context=context).data


class SharedAlbumView(_MemberView):
    """One shared album as the caller sees it; its editors and owner change its words."""

    @SHARED_ALBUM_RETRIEVE_SCHEMA
    def get(self, request: Request, album_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_LIST)
        return Response(self.album_body(request, principal))

    @SHARED_ALBUM_UPDATE_SCHEMA
    def patch(self, request: Request, album_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_EDIT)
        serializer = AlbumWordsUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes: dict[str, Any] = {
            "title": data.get("title"),
            "description": data.get("description"),
        }
        if "cover_image" in data:
            changes["cover_image_id"] = data["cover_image"]
        principal = services.shared_album_update(principal=principal, **changes)
        return Response(self.album_body(request, principal))


class SharedAlbumImagesView(_MemberView):
    """The pictures of a shared album, one cursor page at a time; contributors add theirs."""

    @SHARED_ALBUM_IMAGES_LIST_SCHEMA
    def get(self, request: Request, album_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_LIST)
        paginator = KeysetCursorPagination()
        images = selectors.shared_album_images(principal=principal)
        page = paginator.paginate_queryset(images, request, view=self)
        context = self.image_context(request, principal)
        return Response(
            {
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": MemberAlbumImageSerializer(page, many=True, context=context).data,
            }
        )

    @SHARED_ALBUM_IMAGES_ADD_SCHEMA
    def put(self, request: Request, album_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_CONTRIBUTE)
        serializer = ImageIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.shared_album_images_add(
            principal=principal, image_ids=serializer.validated_data["image_ids"]
        )
        return Response(AlbumImagesResultSerializer({"results": results}).data)


class SharedAlbumImagesRemoveView(_MemberView):
    """Takes pictures out of a shared album (a POST: many clients cannot send a DELETE body)."""

    @SHARED_ALBUM_IMAGES_REMOVE_SCHEMA
    def post(self, request: Request, album_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_CONTRIBUTE)
        serializer = ImageIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.shared_album_images_remove(
            principal=principal, image_ids=serializer.validated_data["image_ids"]
        )
        return Response(AlbumImagesResultSerializer({"results": results}).data)


class SharedAlbumImageView(_MemberView):
    """One picture of a shared album."""

    @SHARED_ALBUM_IMAGE_RETRIEVE_SCHEMA
    def get(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_LIST)
        image = selectors.shared_album_image_get(principal=principal, image_id=image_id)
        access.access_check(principal=principal, action=access.Action.IMAGE_VIEW, target=image)
        context = self.image_context(request, principal)
        return Response(MemberAlbumImageSerializer(image, context=context).data)


class SharedAlbumImageSaveView(_MemberView):
    """Copies someone else's picture of a shared album into the caller's own gallery."""

    throttle_classes = [UploadRateThrottle]

    @SHARED_ALBUM_IMAGE_SAVE_SCHEMA
    @idempotent
    def post(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        principal = self.member(request, album_id, access.Action.ALBUM_LIST)
        image = selectors.shared_album_image_get(principal=principal, image_id=image_id)
        saved = saving.image_save_copy(principal=principal, image=image)
        location = request.build_absolute_uri(reverse("image-detail", kwargs={"pk": saved.pk}))
        body = ImageSerializer(saved, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class SharedAlbumRenditionView(_MemberView):
    """One rendition of one picture of a shared album, by token, session or signed URL."""

    rendition = ""
    authentication_classes = _SIGNED_AUTHENTICATION
    content_negotiation_class = delivery.FileContentNegotiation

    def get(self, request: Request, album_id: uuid.UUID, image_id: uuid.UUID) -> HttpResponseBase:
        grant = request.auth if isinstance(request.auth, Grant) else None
        principal = selectors.open_as_member(user=request.user, album_id=album_id, grant=grant)
        action = access.rendition_action(self.rendition)
        if not access.access_possible(principal=principal, action=action):
            raise access.AccessRefused()
        image = access.images_visible(principal=principal).filter(pk=image_id).first()
        if image is None:
            raise access.AccessRefused()
        access.access_check(
            principal=principal,
            action=action,
            target=access.Rendition(image=image, name=self.rendition),
        )
        # Metadata is a question about the picture, which a rendition's grant does not
        # answer: asked of the same member without it (the membership was read just now).
        # Streamed, as to a link's visitor: a redirect would name the owner's storage key and
        # outlive the membership; the upload's file name is not the album's to tell.
        return delivery.rendition_response_shared(
            request,
            image,
            self.rendition,
            metadata_shown=access.access_allows(
                principal=dataclasses.replace(principal, grant=None),
                action=access.Action.METADATA_VIEW,
                target=image,
            ),
        )


def _rendition_view(name: str) -> type[SharedAlbumRenditionView]:
    """The view of one rendition, with its own operation in the schema."""

    @shared_album_rendition_schema(name)
    def get(
        self: SharedAlbumRenditionView, request: Request, album_id: uuid.UUID, image_id: uuid.UUID
    ) -> HttpResponseBase:
        return SharedAlbumRenditionView.get(self, request, album_id, image_id)

    view_name = f"SharedAlbum{name.capitalize()}View"
    view = type(view_name, (SharedAlbumRenditionView,), {"rendition": name, "get": get})
    view.__doc__ = f"The {name} rendition of a shared album's picture."
    return view


RENDITION_VIEWS = tuple(_rendition_view(name) for name in delivery.RENDITIONS)
