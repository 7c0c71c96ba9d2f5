"""Gallery endpoints: upload, list, view, restyle and delete images, and fetch their bytes.

Each view parses input with a serializer, calls one service or selector and serializes the
result. Scoping to the caller (``project.ownership``), signed access
(``images.authentication``), errors (``project.handlers``), pagination, file delivery and the
schema live in modules of their own.
"""

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
from rest_framework.views import APIView

from images import delivery, selectors, services
from images.authentication import SignedRenditionAuthentication
from images.filters import BoundedSearchFilter, ImageFilter, StrictOrderingFilter
from images.models import Image
from images.pagination import ImageCursorPagination
from images.permissions import IsOwner
from images.schema import IMAGE_VIEWSET_SCHEMA, STYLE_LIST_SCHEMA, rendition_schema
from images.serializers import (
    ImageCreateSerializer,
    ImageSerializer,
    ImageUpdateSerializer,
    PermanentDeleteSerializer,
    StyleSerializer,
)
from images.styles import STYLES
from project.idempotency import idempotent
from project.ownership import OwnerScopedViewSet
from project.throttling import UploadRateThrottle

# Rendition downloads also accept a signed URL, which the other actions never do.
_SIGNED_AUTHENTICATION = [
    SignedRenditionAuthentication,
    *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
]
_FILE_ACTION = {
    "detail": True,
    "methods": ["get"],
    "permission_classes": [IsAuthenticated, IsOwner],
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
    permission_classes = [IsAuthenticated, IsOwner]
    pagination_class = ImageCursorPagination
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter, StrictOrderingFilter]
    filterset_class = ImageFilter
    search_fields = ["title", "original_filename"]
    ordering_fields = ["created_at", "taken_at"]
    ordering = ["-created_at"]

    def safely_get_queryset(self, queryset: QuerySet[Image]) -> QuerySet[Image]:
        # What is in the trash is out of the gallery: its own endpoints are under trash/.
        return selectors.image_fields_for_listing(selectors.images_live(queryset))

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return ImageCreateSerializer
        if self.action == "partial_update":
            return ImageUpdateSerializer
        return ImageSerializer

    def get_throttles(self) -> list:
        # A restyle renders as much as an upload, so both draw on the upload allowance.
        if self.action in ("create", "partial_update"):
            return [UploadRateThrottle()]
        return super().get_throttles()

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        image = services.image_create(
            owner=request.user, upload=data["file"], style=data["style"], title=data["title"]
        )
        location = request.build_absolute_uri(reverse("image-detail", kwargs={"pk": image.pk}))
        body = self._representation(image)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.image_update(
            owner=request.user,
            image=image,
            title=serializer.validated_data.get("title"),
            style=serializer.validated_data.get("style"),
            is_favorite=serializer.validated_data.get("is_favorite"),
        )
        return Response(self._representation(image))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = PermanentDeleteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        image = self.get_object()
        if params.validated_data["permanent"]:
            services.image_delete(owner=request.user, image_id=image.pk)
        else:
            services.image_trash(owner=request.user, image_id=image.pk)
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

    @rendition_schema("thumbnail", "A small preview of the styled image, no metadata.")
    @action(
        url_path="thumbnail",
        url_name="thumbnail",
        authentication_classes=_SIGNED_AUTHENTICATION,
        **_FILE_ACTION,
    )
    def thumbnail(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._file(request, "thumbnail")

    def _file(self, request: Request, rendition: str) -> HttpResponseBase:
        image = self.get_object()
        if not getattr(image, f"{rendition}_key"):
            raise services.RenditionNotReady(image=image, rendition=rendition)
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
