"""The owner's API: upload, list, view, restyle and delete images, fetch their bytes, the
trash and albums.

Each view parses input with a serializer, calls one service or selector and serializes the
result. Scoping to the caller (``core.ownership``), signed access
(``images.authentication``), what each caller may do (``images.access``, asked by
``images.permissions.HasAccess``), errors (``core.handlers``), pagination, file delivery and
the schema live in modules of their own; so do the owner's share links
(``images.share_views``) and a link's public side (``images.public``).
"""

import builtins
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.ownership import OwnerScopedViewSet
from core.throttling import UploadRateThrottle
from idempotency.decorators import idempotent
from images import albums, delivery, lifecycle, selectors, trash
from images.access import Action
from images.authentication import SignedRenditionAuthentication
from images.errors import RenditionAbsent, RenditionNotReady
from images.filters import (
    IMAGE_DEFAULT_ORDERING,
    IMAGE_ORDERING_FIELDS,
    BoundedSearchFilter,
    ImageFilter,
    StrictOrderingFilter,
)
from images.models import Album, Image
from images.pagination import (
    ImageCursorPagination,
    KeysetCursorPagination,
    TrashCursorPagination,
)
from images.partners import gallery
from images.permissions import HasAccess
from images.schema import (
    ALBUM_IMAGES_DELETE_SCHEMA,
    ALBUM_VIEWSET_SCHEMA,
    IMAGE_VIEWSET_SCHEMA,
    STYLE_LIST_SCHEMA,
    TRASH_VIEWSET_SCHEMA,
    AlbumImagesSchema,
    rendition_schema,
)
from images.serializers import (
    AlbumCreateSerializer,
    AlbumImagesResultSerializer,
    AlbumSerializer,
    AlbumUpdateSerializer,
    EmptySerializer,
    ImageCreateSerializer,
    ImageIdsSerializer,
    ImageSerializer,
    ImageUpdateSerializer,
    PermanentDeleteSerializer,
    StyleSerializer,
    TrashedImageSerializer,
    TrashEmptiedSerializer,
)
from images.video_schema import video_rendition_schema
from imaging.styles import STYLES
from users.authentication import request_user

# Rendition downloads also accept a signed URL, which the other actions never do.
_SIGNED_AUTHENTICATION = [
    SignedRenditionAuthentication,
    *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
]
_FILE_ACTION: dict[str, Any] = {
    "detail": True,
    "methods": ["get"],
    "permission_classes": [IsAuthenticated, HasAccess],
    "content_negotiation_class": delivery.FileContentNegotiation,
}


@IMAGE_VIEWSET_SCHEMA
class ImageViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    OwnerScopedViewSet,
):
    """The caller's private gallery."""

    model = Image
    permission_classes = [IsAuthenticated, HasAccess]
    access_actions = {
        "list": Action.IMAGE_VIEW,
        "retrieve": Action.IMAGE_VIEW,
        "create": Action.IMAGE_CREATE,
        "partial_update": Action.IMAGE_UPDATE,
        "destroy": Action.IMAGE_DELETE,
        "original": Action.ORIGINAL_DOWNLOAD,
        "processed": Action.RENDITION_VIEW,
        "preview": Action.RENDITION_VIEW,
        "thumbnail": Action.RENDITION_VIEW,
        "video": Action.RENDITION_VIEW,
        "motion": Action.RENDITION_VIEW,
    }
    pagination_class = ImageCursorPagination
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter, StrictOrderingFilter]
    filterset_class = ImageFilter
    search_fields = ["title", "original_filename"]
    ordering_fields = list(IMAGE_ORDERING_FIELDS)
    ordering = [IMAGE_DEFAULT_ORDERING]

    def safely_get_queryset(self, queryset: QuerySet[Image]) -> QuerySet[Image]:
        # What is in the trash is out of the gallery: its own endpoints are under trash/.
        return selectors.image_fields_for_listing(selectors.images_live(queryset))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Partner sharing (issue 20, item 4): a path of its own, taken only when asked; the
        # owned scope above stays the caller's own for everything else.
        if gallery.include_partners_requested(request):
            return gallery.gallery_list(view=self, request=request)
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return ImageCreateSerializer
        if self.action == "partial_update":
            return ImageUpdateSerializer
        return ImageSerializer

    def get_throttles(self) -> builtins.list[BaseThrottle]:
        # A restyle renders as much as an upload, so both draw on the upload allowance.
        if self.action in ("create", "partial_update"):
            return [UploadRateThrottle()]
        return super().get_throttles()

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        image = lifecycle.image_create(
            owner=request_user(request),
            upload=data["file"],
            style=data["style"],
            title=data["title"],
        )
        location = request.build_absolute_uri(reverse("image-detail", kwargs={"pk": image.pk}))
        body = self._representation(image)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = lifecycle.image_update(
            owner=request_user(request),
            image=image,
            title=serializer.validated_data.get("title"),
            style=serializer.validated_data.get("style"),
            is_favorite=serializer.validated_data.get("is_favorite"),
            description=serializer.validated_data.get("description"),
        )
        return Response(self._representation(image))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = PermanentDeleteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        image = self.get_object()
        if params.validated_data["permanent"]:
            lifecycle.image_delete(owner=request_user(request), image_id=image.pk)
        else:
            trash.image_trash(owner=request_user(request), image_id=image.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @rendition_schema(
        "original",
        "The uploaded bytes, unchanged, with the camera's metadata (GPS included): for the "
        "owner's credentials only, never through a signed URL.",
        signed=False,
    )
    @action(url_path="original", url_name="original", **_FILE_ACTION)
    def original(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "original")

    @rendition_schema("processed", "The styled image: upright, size-capped, no metadata.")
    @action(
        url_path="processed",
        url_name="processed",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def processed(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "processed")

    @rendition_schema(
        "preview",
        "The styled image at screen size (long edge ATELIER_PREVIEW_EDGE, 1440 px by "
        "default; never upscaled), no metadata: for a picture's page. An image rendered "
        "before previews existed serves its processed rendition here.",
    )
    @action(
        url_path="preview",
        url_name="preview",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def preview(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "preview")

    @rendition_schema("thumbnail", "A small rendition of the styled image for grids, no metadata.")
    @action(
        url_path="thumbnail",
        url_name="thumbnail",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def thumbnail(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "thumbnail")

    @video_rendition_schema("video")
    @action(
        url_path="video",
        url_name="video",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def video(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "video")

    @video_rendition_schema("motion")
    @action(
        url_path="motion",
        url_name="motion",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def motion(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "motion")

    def _file(self, request: Request, rendition: str) -> HttpResponseBase:
        image = self.get_object()
        if not delivery.rendition_key(image, rendition):
            if image.status == image.Status.READY:
                raise RenditionAbsent(rendition=rendition)
            raise RenditionNotReady(image=image, rendition=rendition)
        return delivery.rendition_response(request, image, rendition)

    def _representation(self, image: Image) -> dict[str, Any]:
        return ImageSerializer(image, context=self.get_serializer_context()).data


class StyleListView(APIView):
    """Lists the styles an image can be rendered in."""

    permission_classes = [AllowAny]

    @STYLE_LIST_SCHEMA
    def get(self, request: Request) -> Response:
        styles = [
            {"name": s.name, "label": s.label, "description": s.description}
            for s in STYLES.values()
        ]
        return Response(StyleSerializer(styles, many=True).data)


@TRASH_VIEWSET_SCHEMA
class TrashViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """The caller's trash: restore an image, purge one, or empty it all."""

    model = Image
    permission_classes = [IsAuthenticated, HasAccess]
    access_actions = {
        "list": Action.IMAGE_VIEW,
        "retrieve": Action.IMAGE_VIEW,
        "restore": Action.IMAGE_UPDATE,
        "destroy": Action.IMAGE_DELETE,
        "empty": Action.IMAGE_DELETE,
    }
    serializer_class = TrashedImageSerializer
    pagination_class = TrashCursorPagination
    filter_backends: list = []

    def safely_get_queryset(self, queryset: QuerySet[Image]) -> QuerySet[Image]:
        return selectors.image_fields_for_listing(selectors.images_trashed(queryset))

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action in ("restore", "empty"):
            return EmptySerializer  # they take no body
        return TrashedImageSerializer

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = self.get_object()
        lifecycle.image_delete(owner=request_user(request), image_id=image.pk, trashed_only=True)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        image = self.get_object()
        restored = trash.image_restore(owner=request_user(request), image_id=image.pk)
        return Response(ImageSerializer(restored, context=self.get_serializer_context()).data)

    @action(detail=False, methods=["post"])
    def empty(self, request: Request) -> Response:
        purged = trash.trash_empty(owner=request_user(request))
        return Response(TrashEmptiedSerializer({"purged": purged}).data)


@ALBUM_VIEWSET_SCHEMA
class AlbumViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    OwnerScopedViewSet,
):
    """The caller's albums, and which of their images each holds."""

    model = Album
    permission_classes = [IsAuthenticated, HasAccess]
    access_actions = {
        "list": Action.ALBUM_LIST,
        "retrieve": Action.ALBUM_LIST,
        "create": Action.ALBUM_MANAGE,
        "partial_update": Action.ALBUM_MANAGE,
        "destroy": Action.ALBUM_MANAGE,
        "images": Action.ALBUM_MANAGE,
        "images_remove": Action.ALBUM_MANAGE,
    }
    serializer_class = AlbumSerializer
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    def safely_get_queryset(self, queryset: QuerySet[Album]) -> QuerySet[Album]:
        return albums.albums_with_summary(queryset=queryset)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return AlbumCreateSerializer
        if self.action == "partial_update":
            return AlbumUpdateSerializer
        if self.action in ("images", "images_remove"):
            return ImageIdsSerializer
        return AlbumSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        album = albums.album_create(owner=request_user(request), **serializer.validated_data)
        album = albums.album_get(owner=request_user(request), album_id=album.pk)
        location = request.build_absolute_uri(reverse("album-detail", kwargs={"pk": album.pk}))
        return Response(
            self._representation(album),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        album = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes: dict[str, Any] = {
            "title": data.get("title"),
            "description": data.get("description"),
            "members_see_originals": data.get("members_see_originals"),
            "members_see_metadata": data.get("members_see_metadata"),
        }
        if "cover_image" in data:
            changes["cover_image_id"] = data["cover_image"]
        album = albums.album_update(owner=request_user(request), album=album, **changes)
        return Response(self._representation(album))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        album = self.get_object()
        albums.album_delete(owner=request_user(request), album_id=album.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @ALBUM_IMAGES_DELETE_SCHEMA
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path="images",
        url_name="images",
        schema=AlbumImagesSchema(),
    )
    def images(self, request: Request, pk: str | None = None) -> Response:
        change = albums.album_images_add if request.method == "PUT" else albums.album_images_remove
        return self._images_change(request, change)

    # DELETE with a body is legal HTTP, but many generated clients cannot send one: the same
    # removal as a POST, documented like any other operation.
    @action(detail=True, methods=["post"], url_path="images/remove", url_name="images-remove")
    def images_remove(self, request: Request, pk: str | None = None) -> Response:
        return self._images_change(request, albums.album_images_remove)

    def _images_change(self, request: Request, change: Any) -> Response:
        album = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = change(
            owner=request_user(request),
            album=album,
            image_ids=serializer.validated_data["image_ids"],
        )
        return Response(AlbumImagesResultSerializer({"results": results}).data)

    def _representation(self, album: Album) -> dict[str, Any]:
        return AlbumSerializer(album, context=self.get_serializer_context()).data
