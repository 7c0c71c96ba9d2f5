"""Gallery endpoints: upload, list, view, restyle and delete images, and fetch their bytes."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from images import delivery, selectors, services
from images.filters import (
    BoundedSearchFilter,
    ImageFilter,
    StrictOrderingFilter,
    cursor_position_valid,
)
from images.models import Image
from images.permissions import SIGNATURE_PARAM, IsAuthenticatedOrSigned, IsOwner
from images.serializers import (
    ImageCreateSerializer,
    ImageSerializer,
    ImageUpdateSerializer,
    StyleSerializer,
)
from images.signing import (
    credential_digest,
    rendition_signature_parse,
    rendition_signature_valid,
)
from images.styles import STYLES
from images.uploads import upload_too_large
from project.exceptions import PayloadTooLarge, ServiceUnavailable
from project.schema import NOT_FOUND, THROTTLED, UNAUTHENTICATED, error, field_errors
from project.throttling import UploadRateThrottle


class ImageCursorPagination(CursorPagination):
    """Newest first, by an opaque cursor: stable while images are added, and no COUNT(*)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    invalid_cursor_message = "The cursor is not valid; start again from the first page."

    def decode_cursor(self, request: Request) -> Any:
        # DRF checks a cursor's offset but hands its position to the database as it is; a
        # forged position ("p=garbage") would fail there as a 500.
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor") from exc
        if cursor is not None and not cursor_position_valid(cursor.position):
            raise NotFound(self.invalid_cursor_message, code="invalid_cursor")
        return cursor

    def get_page_size(self, request: Request) -> int:
        # DRF quietly falls back to the default for a page_size it cannot read; say so instead.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number, 1 or more."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Images per page (default {self.page_size}); "
                    f"more than {self.max_page_size} gives {self.max_page_size}."
                )
        return parameters


class OwnedQuerysetMixin:
    """Owns the per-user filtering, so no viewset can forget it.

    ``get_queryset`` returns only ``request.user``'s objects through ``owned_queryset``; a
    stranger's object is therefore a 404, exactly like a missing one.
    """

    request: Request

    def owned_queryset(self, owner: Any) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Image.objects.none()
        if not self.request.user.is_authenticated:
            return Image.objects.none()
        return self.owned_queryset(self.request.user)


def _file_responses(media_types: tuple[str, ...]) -> dict[Any, Any]:
    return {
        **{(200, media_type): OpenApiTypes.BINARY for media_type in media_types},
        304: OpenApiResponse(description="Not modified (the If-None-Match ETag matches)."),
        401: UNAUTHENTICATED,
        404: NOT_FOUND,
        406: error("The Accept header excludes the file's media type."),
    }


_SIGNATURE_PARAMETER = OpenApiParameter(
    SIGNATURE_PARAM,
    str,
    description="A signature from the image's `urls`; lets the URL work without a token.",
    required=False,
)
_ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def _rendition_schema(rendition: str, what: str, *, signed: bool = True) -> Any:
    if signed:
        how = (
            " Send a bearer token, or use the signed URL from the image's `urls` (no token "
            "needed). Renditions are JPEG, or PNG where the image has transparency."
        )
        media_types: tuple[str, ...] = ("image/jpeg", "image/png")
    else:
        how = " Send a bearer token (or a session cookie). The format is the upload's."
        media_types = ("image/jpeg", "image/png", "image/webp", "image/gif")
    return extend_schema(
        operation_id=f"images_{rendition}_download",
        summary=f"Download the {rendition} rendition",
        description=f"{what}{how} Another account's image is a 404.",
        parameters=[_ID_PARAMETER, _SIGNATURE_PARAMETER] if signed else [_ID_PARAMETER],
        responses=_file_responses(media_types),
        # A signed URL needs no credentials at all.
        auth=[{"jwtAuth": []}, {"cookieAuth": []}, {}] if signed else None,
    )


@extend_schema_view(
    list=extend_schema(
        operation_id="images_list",
        summary="List my images",
        description="The caller's own images, newest first, one cursor page at a time.",
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=["-created_at", "created_at"],
                description="Newest first (`-created_at`, the default) or oldest first.",
            ),
            OpenApiParameter(
                "checksum",
                {"type": "string", "maxLength": 64, "pattern": "^[^\\u0000]*$"},
                description="SHA-256 of the original, hex, any case: finds a duplicate.",
            ),
        ],
        responses={
            200: ImageSerializer(many=True),
            400: field_errors("A filter value is invalid."),
            401: UNAUTHENTICATED,
            404: error("The cursor is invalid."),
        },
    ),
    retrieve=extend_schema(
        operation_id="images_retrieve",
        summary="Get one image",
        description="One of the caller's images, with signed URLs of its renditions.",
        parameters=[_ID_PARAMETER],
        responses={200: ImageSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    create=extend_schema(
        operation_id="images_upload",
        summary="Upload an image",
        description="Uploads a JPEG, PNG, WebP or GIF image (multipart), renders it in the "
        "chosen style and stores the original, the processed rendition and a thumbnail.",
        request={"multipart/form-data": ImageCreateSerializer},
        responses={
            201: ImageSerializer,
            400: field_errors("The file is not an accepted image, or a field is invalid."),
            401: UNAUTHENTICATED,
            403: error("The image-count quota is reached."),
            413: error("The file, or the storage quota, is too large."),
            429: THROTTLED,
            503: error("Storage failed; nothing was saved."),
        },
    ),
    partial_update=extend_schema(
        operation_id="images_update",
        summary="Retitle or restyle an image",
        description="Changes the title; a new style re-renders the processed rendition and "
        "the thumbnail from the original.",
        parameters=[_ID_PARAMETER],
        request=ImageUpdateSerializer,
        responses={
            200: ImageSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            413: error("The storage quota is reached."),
            503: error("Storage failed; the image is unchanged."),
        },
    ),
    destroy=extend_schema(
        operation_id="images_delete",
        summary="Delete an image",
        description="Deletes the image and every file of it.",
        parameters=[_ID_PARAMETER],
        responses={
            204: OpenApiResponse(description="Deleted."),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    ),
)
@extend_schema(tags=["images"])
class ImageViewSet(
    OwnedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's private gallery."""

    permission_classes = [IsAuthenticated, IsOwner]
    serializer_class = ImageSerializer
    pagination_class = ImageCursorPagination
    filter_backends = [DjangoFilterBackend, BoundedSearchFilter, StrictOrderingFilter]
    filterset_class = ImageFilter
    search_fields = ["title", "original_filename"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def owned_queryset(self, owner: Any) -> QuerySet[Image]:
        return selectors.image_list(owner=owner)

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

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ImageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        image = _call_service(
            services.image_create,
            owner=request.user,
            upload=data["file"],
            style=data["style"],
            title=data["title"],
        )
        body = ImageSerializer(image, context=self.get_serializer_context()).data
        location = request.build_absolute_uri(image_detail_path(image))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = self.get_object()
        serializer = ImageUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = _call_service(
            services.image_update,
            owner=request.user,
            image=image,
            title=serializer.validated_data.get("title"),
            style=serializer.validated_data.get("style"),
        )
        return Response(ImageSerializer(image, context=self.get_serializer_context()).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        image = self.get_object()
        _call_service(services.image_delete, owner=request.user, image_id=image.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @_rendition_schema(
        "original",
        "The uploaded bytes, unchanged, with the camera's metadata (GPS included): for the "
        "owner's credentials only, never through a signed URL.",
        signed=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="original",
        url_name="original",
        permission_classes=[IsAuthenticated, IsOwner],
        content_negotiation_class=delivery.FileContentNegotiation,
    )
    def original(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._rendition_response(request, "original")

    @_rendition_schema("processed", "The styled image: upright, size-capped, no metadata.")
    @action(
        detail=True,
        methods=["get"],
        url_path="processed",
        url_name="processed",
        permission_classes=[IsAuthenticatedOrSigned, IsOwner],
        content_negotiation_class=delivery.FileContentNegotiation,
    )
    def processed(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._rendition_response(request, "processed")

    @_rendition_schema("thumbnail", "A small preview of the styled image, no metadata.")
    @action(
        detail=True,
        methods=["get"],
        url_path="thumbnail",
        url_name="thumbnail",
        permission_classes=[IsAuthenticatedOrSigned, IsOwner],
        content_negotiation_class=delivery.FileContentNegotiation,
    )
    def thumbnail(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        return self._rendition_response(request, "thumbnail")

    def _rendition_response(self, request: Request, rendition: str) -> HttpResponseBase:
        token = request.query_params.get(SIGNATURE_PARAM)
        # A signed URL names its owner; without one, the caller's own gallery is searched.
        # The original (camera metadata, GPS) is never signed: it needs the owner's own
        # credentials.
        if token is not None and rendition != "original":
            image = self._signed_object(token, rendition)
        else:
            image = self.get_object()
        return delivery.rendition_response(request, image, rendition)

    def _signed_object(self, token: str, rendition: str) -> Image:
        try:
            image_id = Image._meta.pk.to_python(self.kwargs["pk"])
        except Exception as exc:
            raise NotFound() from exc
        owner_id = rendition_signature_parse(token=token)
        if owner_id is None:
            raise NotFound()
        image = selectors.image_get_signed(owner_id=owner_id, image_id=image_id)
        if image is None or not rendition_signature_valid(
            token=token,
            image_id=image_id,
            rendition=rendition,
            credential=credential_digest(image.owner.password),
        ):
            raise NotFound()
        return image


class StyleListView(APIView):
    """Lists the styles an image can be rendered in."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="styles_list",
        summary="List styles",
        description="Every style an image can be uploaded or restyled in.",
        tags=["styles"],
        responses={200: StyleSerializer(many=True)},
        auth=[],
    )
    def get(self, request: Request) -> Response:
        styles = [
            {"name": s.name, "label": s.label, "description": s.description}
            for s in STYLES.values()
        ]
        return Response(StyleSerializer(styles, many=True).data)


def image_detail_path(image: Image) -> str:
    """The API path of one image."""
    return reverse("image-detail", kwargs={"pk": image.pk})


def _call_service(service: Any, **kwargs: Any) -> Any:
    """Calls an image service and maps its domain errors to API errors."""
    try:
        return service(**kwargs)
    except services.ImageRejected as exc:
        raise ValidationError({"file": [exc.message]}, code=exc.code) from exc
    except services.UploadTooLarge as exc:
        raise upload_too_large(exc.limit) from exc
    except services.QuotaExceeded as exc:
        error_class = PayloadTooLarge if exc.quota == "bytes" else PermissionDenied
        api_error = error_class(str(exc), code="quota_exceeded")
        api_error.extra = {
            "code": "quota_exceeded",
            "quota": exc.quota,
            "used": exc.used,
            "limit": exc.limit,
        }
        raise api_error from exc
    except services.ImageNotFound as exc:
        raise NotFound() from exc
    except services.AccountGone as exc:
        raise AuthenticationFailed(
            "The account no longer exists; nothing was saved.", code="user_not_found"
        ) from exc
    except services.StorageFailed as exc:
        raise ServiceUnavailable() from exc
