"""The OpenAPI description of the tus endpoints (HEAD and OPTIONS are in the text: OpenAPI
generators leave those methods out)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from core.schema import THROTTLED, UNAUTHENTICATED, error
from resumable.serializers import ResumableUploadSerializer

_TUS_RESUMABLE = OpenApiParameter(
    "Tus-Resumable",
    {"type": "string", "enum": ["1.0.0"]},
    OpenApiParameter.HEADER,
    required=True,
    description="The tus protocol version: `1.0.0` (any other is a 412).",
)
_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_NOT_FOUND = error("No such upload of yours (or it expired): identical for another's.")

UPLOAD_CREATE_SCHEMA = extend_schema(
    operation_id="uploads_create",
    summary="Start a resumable upload (tus 1.0)",
    description=(
        "Creates a tus 1.0 upload (extensions: creation, termination, expiration) for a file "
        "of `Upload-Length` bytes, up to ATELIER_MAX_RESUMABLE_BYTES (1 GB by default; "
        "`OPTIONS /api/v1/uploads/` names it in `Tus-Max-Size`). The quota is counted now, for "
        "the whole length. `Upload-Metadata` may carry `filename`, `style` and `title`, each "
        "value base64 (e.g. `filename cGhvdG8uanBn,style bm9uZQ==`). The answer's `Location` is "
        "the upload's URL: `PATCH` it with `Content-Type: application/offset+octet-stream`, "
        "`Upload-Offset` and bytes; `HEAD` it for `Upload-Offset` and `Upload-Length` to resume "
        "after a dropped connection; `DELETE` it to cancel. The PATCH that stores the last byte "
        "creates the image (its id in `Upload-Image`) or answers the image's refusal."
    ),
    parameters=[
        _TUS_RESUMABLE,
        OpenApiParameter(
            "Upload-Length",
            {"type": "integer", "minimum": 1},
            OpenApiParameter.HEADER,
            required=True,
            description="The file's size in bytes.",
        ),
        OpenApiParameter(
            "Upload-Metadata",
            str,
            OpenApiParameter.HEADER,
            required=False,
            description="`key base64value` pairs, comma-separated: filename, style, title.",
        ),
    ],
    request=None,
    responses={
        (201, "application/json"): OpenApiResponse(
            ResumableUploadSerializer,
            description="Created; `Location` is the upload's URL, `Upload-Expires` when it "
            "is swept unless finished.",
        ),
        400: error("An invalid Upload-Length or Upload-Metadata (or style, title)."),
        401: UNAUTHENTICATED,
        403: error("The image-count quota would be exceeded."),
        412: error("Tus-Resumable is missing or not 1.0.0."),
        413: error("Past ATELIER_MAX_RESUMABLE_BYTES, or past the storage quota."),
        429: THROTTLED,
    },
)

UPLOAD_RETRIEVE_SCHEMA = extend_schema(
    operation_id="uploads_retrieve",
    summary="An upload's progress",
    description="Its state (`receiving`, `completing`, `completed`, `failed`), offset and, "
    "once complete, the image it became; failed, the error the final PATCH answered.",
    parameters=[_ID],
    responses={200: ResumableUploadSerializer, 401: UNAUTHENTICATED, 404: _NOT_FOUND},
)

UPLOAD_APPEND_SCHEMA = extend_schema(
    operation_id="uploads_append",
    summary="Send bytes of an upload (tus PATCH)",
    description=(
        "Appends the body at `Upload-Offset`, which must be the offset the server holds (a "
        "HEAD says). A body cut short keeps what arrived. The PATCH that stores the last byte "
        "makes the image: 204 with `Upload-Image`, or the image's refusal as an error, the "
        "upload then `failed`. Sent again with no body, it answers the same 204."
    ),
    parameters=[
        _ID,
        _TUS_RESUMABLE,
        OpenApiParameter(
            "Upload-Offset",
            {"type": "integer", "minimum": 0},
            OpenApiParameter.HEADER,
            required=True,
            description="Where these bytes start.",
        ),
    ],
    request={"application/offset+octet-stream": OpenApiTypes.BINARY},
    responses={
        204: OpenApiResponse(
            description="Stored. `Upload-Offset` is the new offset; `Upload-Image` names the "
            "image when this completed the upload."
        ),
        400: error("A missing or invalid Upload-Offset or Content-Length; or the image refused."),
        401: UNAUTHENTICATED,
        404: _NOT_FOUND,
        409: error(
            "Upload-Offset is not the upload's offset (`offset_mismatch`), another request is "
            "writing to it (`upload_busy`), or it takes no more bytes."
        ),
        412: error("Tus-Resumable is missing or not 1.0.0."),
        413: error("The bytes would go past Upload-Length (or the image is too large)."),
        415: error("The Content-Type is not application/offset+octet-stream."),
        422: error("The image refused the file."),
        503: error("Storage failed; what was stored is kept: HEAD and resume."),
    },
)

UPLOAD_DESTROY_SCHEMA = extend_schema(
    operation_id="uploads_destroy",
    summary="Cancel an upload (tus termination)",
    description="Removes what was stored and releases the quota it held.",
    parameters=[_ID, _TUS_RESUMABLE],
    responses={
        204: OpenApiResponse(description="Cancelled."),
        401: UNAUTHENTICATED,
        404: _NOT_FOUND,
        409: error("A request is writing to the upload right now."),
        412: error("Tus-Resumable is missing or not 1.0.0."),
    },
)
