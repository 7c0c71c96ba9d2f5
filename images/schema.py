"""The OpenAPI description of the image endpoints, kept apart so the views read in one sitting.

drf-spectacular reads most of the contract from the views and serializers; what it cannot
know (the binary responses, the signed-URL security, the error responses each operation can
give) is declared here.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from images.authentication import SIGNATURE_PARAM
from images.serializers import (
    ImageCreateSerializer,
    ImageSerializer,
    ImageUpdateSerializer,
    StyleSerializer,
)
from project.schema import NOT_FOUND, THROTTLED, UNAUTHENTICATED, error, field_errors


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


def rendition_schema(rendition: str, what: str, *, signed: bool = True) -> Any:
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


IMAGE_VIEWSET_SCHEMA = extend_schema_view(
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


STYLE_LIST_SCHEMA = extend_schema(
    operation_id="styles_list",
    summary="List styles",
    description="Every style an image can be uploaded or restyled in.",
    tags=["styles"],
    responses={200: StyleSerializer(many=True)},
    auth=[],
)
