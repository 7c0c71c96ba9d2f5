"""The OpenAPI description of a share link's public endpoints (tag ``shared``, no auth)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from core.schema import THROTTLED, error, field_errors
from images.links import SIGNATURE_PARAM
from images.public.serializers import (
    SharedPageSerializer,
    ShareGrantSerializer,
    ShareUnlockSerializer,
)
from images.schema import file_responses

_TOKEN_PARAMETER = OpenApiParameter(
    "token", str, OpenApiParameter.PATH, description="The share link's token."
)
_GRANT_PARAMETER = OpenApiParameter(
    "X-Share-Grant",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="For a link with a password: the grant `unlock/` returned.",
)
_SHARE_GONE = error("No such link: unknown, expired and revoked links are the same 404.")
_SHARE_LOCKED = error(
    "The link has a password and no valid grant was sent (code `share_password_required`)."
)

SHARED_DETAIL_SCHEMA = extend_schema(
    operation_id="shared_retrieve",
    summary="Open a share link",
    description="The link's title and its images, one cursor page at a time: each with its "
    "size and signed URLs of its renditions. No account needed.",
    tags=["shared"],
    auth=[],
    parameters=[
        _TOKEN_PARAMETER,
        _GRANT_PARAMETER,
        OpenApiParameter("cursor", str, description="The page: from `next` or `previous`."),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1},
            description="Images per page (default 20); more than 100 gives 100.",
        ),
    ],
    responses={
        200: SharedPageSerializer,
        400: field_errors("`page_size` is not a whole number of 1 or more."),
        401: _SHARE_LOCKED,
        404: error(
            "No such link (unknown, expired and revoked are the same 404), or the cursor "
            "is invalid."
        ),
    },
)
SHARED_UNLOCK_SCHEMA = extend_schema(
    operation_id="shared_unlock",
    summary="Unlock a share link with its password",
    description="Returns a grant to send in the `X-Share-Grant` header with every request "
    "to the link, for 24 hours. Tries are limited per link and per address.",
    tags=["shared"],
    auth=[],
    parameters=[_TOKEN_PARAMETER],
    request=ShareUnlockSerializer,
    responses={
        200: ShareGrantSerializer,
        400: field_errors(),
        401: error("Wrong password (code `share_password_invalid`)."),
        404: _SHARE_GONE,
        429: THROTTLED,
    },
)


def shared_rendition_schema(rendition: str) -> Any:
    return extend_schema(
        operation_id=f"shared_{rendition}_download",
        summary=f"Download the {rendition} rendition through a share link",
        description="By the signed URL in the link's page, streamed by this server in every "
        "delivery mode (never a redirect that names the storage). The original only where "
        "the link allows it, with its metadata removed (pixels untouched) unless the link "
        "shows metadata. `preview` is the processed rendition where an image has no "
        "preview yet.",
        tags=["shared"],
        auth=[],
        parameters=[
            _TOKEN_PARAMETER,
            OpenApiParameter("image_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter(SIGNATURE_PARAM, str, description="From the link's page."),
        ],
        responses={
            **file_responses(("image/jpeg", "image/png", "image/webp", "image/gif")),
            401: _SHARE_LOCKED,
            404: _SHARE_GONE,
            409: error("The image has no such rendition yet."),
        },
    )
