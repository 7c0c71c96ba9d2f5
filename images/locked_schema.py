"""The locked folder's schema: the elevation header, and the 403 that asks for it."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from core.schema import NOT_FOUND, UNAUTHENTICATED, error, field_errors
from images.links import SIGNATURE_PARAM
from images.locked_serializers import (
    LockedImageSerializer,
    LockIdsSerializer,
    LockResultsSerializer,
)
from images.schema import file_responses
from users.elevation import ELEVATION_HEADER

ELEVATION_REQUIRED = error(
    "No valid elevation (`elevation_required`): POST the password to `auth/reauth/` and send "
    f"the elevation it returns in the `{ELEVATION_HEADER}` header. Also for an expired one, "
    "one made before a password change, or another account's."
)


def elevation_parameter(*, required: bool = True) -> OpenApiParameter:
    return OpenApiParameter(
        ELEVATION_HEADER,
        str,
        OpenApiParameter.HEADER,
        required=required,
        description="The elevation from `auth/reauth/` (the password given again), while it "
        "lasts (ATELIER_ELEVATION_SECONDS, 300 s by default).",
    )


_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_SIGNATURE = OpenApiParameter(
    SIGNATURE_PARAM,
    str,
    description="A signature from a locked picture's `urls` (on the locked list); lets the "
    "URL work without a token or an elevation until the elevation it was made with ends.",
    required=False,
)
_MEDIA_TYPES = {
    "original": ("image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4"),
    "video": ("video/mp4",),
    "motion": ("video/mp4",),
}
_STILLS = ("image/avif", "image/webp", "image/jpeg", "image/png")

LOCKED_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="locked_list",
        summary="List my locked folder",
        description="The caller's locked pictures, most recently locked first. Needs an "
        "elevation. Their `urls` are signed URLs under `locked/{id}/` that end with that "
        "elevation (`expires_at`); the gallery, albums, share links and album members never "
        "show a locked picture.",
        parameters=[elevation_parameter()],
        responses={
            200: LockedImageSerializer(many=True),
            401: UNAUTHENTICATED,
            403: ELEVATION_REQUIRED,
            404: error("The cursor is invalid."),
        },
    ),
    retrieve=extend_schema(
        operation_id="locked_retrieve",
        summary="Get one locked picture",
        parameters=[_ID, elevation_parameter()],
        responses={
            200: LockedImageSerializer,
            401: UNAUTHENTICATED,
            403: ELEVATION_REQUIRED,
            404: NOT_FOUND,
        },
    ),
)


def locked_rendition_schema(rendition: str) -> Any:
    signed = rendition != "original"
    how = (
        f"Send a bearer token (or a session) and the `{ELEVATION_HEADER}` header, or use the "
        "signed URL from the picture's `urls` on the locked list."
        if signed
        else f"Send a bearer token (or a session) and the `{ELEVATION_HEADER}` header; never "
        "through a signed URL (it keeps the camera's metadata)."
    )
    return extend_schema(
        operation_id=f"locked_{rendition}_download",
        summary=f"Download a locked picture's {rendition}",
        description=f"The {rendition} of a picture in the caller's locked folder, as its "
        f"gallery endpoint serves it (`Cache-Control: private, no-store`). {how}",
        parameters=[
            _ID,
            elevation_parameter(required=not signed),
            *([_SIGNATURE] if signed else []),
        ],
        responses={
            **file_responses(_MEDIA_TYPES.get(rendition, _STILLS)),
            403: ELEVATION_REQUIRED,
            409: error("Not rendered yet (`not_ready`, with Retry-After), or it failed."),
        },
        auth=[{"jwtAuth": []}, {"cookieAuth": []}, *([{}] if signed else [])],  # type: ignore[list-item]
    )


def lock_schema(*, lock: bool) -> Any:
    if lock:
        what = (
            "Moves pictures into the locked folder: they leave the gallery, every album, "
            "share link and album member's view at once (they still count against the quota). "
            "No elevation needed. Per id: `locked`, `already_locked` or `not_found` (another "
            "account's, missing, or in the trash: a trashed picture is restored first)."
        )
    else:
        what = (
            "Takes pictures out of the locked folder, back to where they were (their albums "
            "and links show them again). Needs an elevation. Per id: `unlocked`, `not_locked` "
            "or `not_found`."
        )
    responses: dict[Any, Any] = {
        200: LockResultsSerializer,
        400: field_errors(),
        401: UNAUTHENTICATED,
    }
    if not lock:
        responses[403] = ELEVATION_REQUIRED
    return extend_schema(
        operation_id="images_lock" if lock else "images_unlock",
        summary="Lock pictures" if lock else "Unlock pictures",
        description=what,
        tags=["locked"],
        request=LockIdsSerializer,
        parameters=[] if lock else [elevation_parameter()],
        responses=responses,
    )
