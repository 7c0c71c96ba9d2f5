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
    PermanentDeleteSerializer,
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
        description="The caller's own images (not those in the trash), newest first, one "
        "cursor page at a time.",
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=["-created_at", "created_at", "-taken_at", "taken_at"],
                description="Newest upload first (`-created_at`, the default) or oldest "
                "first; or by the date the photo was taken (`-taken_at`: latest first), "
                "where images without a date come last either way.",
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
        summary="Retitle, restyle or favourite an image",
        description="Changes the title or the favourite mark; a new style re-renders the "
        "processed rendition and the thumbnail from the original (the image is `pending` "
        "meanwhile and keeps serving its previous renditions).",
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
        summary="Move an image to the trash, or delete it",
        description="Moves the image to the trash: it leaves the gallery, its albums and "
        "its share links at once, and can be restored from `trash/` until it is purged "
        "(after `ATELIER_TRASH_DAYS`, 30 by default). With `?permanent=true` the image and "
        "every file of it are deleted at once instead.",
        parameters=[_ID_PARAMETER, PermanentDeleteSerializer],
        responses={
            204: OpenApiResponse(description="In the trash (or deleted, if permanent)."),
            400: field_errors("`permanent` is neither true nor false."),
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
