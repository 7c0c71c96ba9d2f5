"""The OpenAPI description of a shared album's inside (tag ``shared-albums``)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers

from core.schema import THROTTLED, UNAUTHENTICATED, error, field_errors
from images.links import SIGNATURE_PARAM
from images.schema import file_responses
from images.serializers import (
    AlbumImagesResultSerializer,
    AlbumWordsUpdateSerializer,
    ImageIdsSerializer,
    ImageSerializer,
)
from images.together.serializers import MemberAlbumImageSerializer, MemberAlbumSerializer

_TAGS = ["shared_albums"]
_ALBUM = OpenApiParameter("album_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_IMAGE = OpenApiParameter("image_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_GONE = error(
    "No such album for you: missing, not shared with you, an invitation not yet accepted, "
    "or a role that may not do this; all the same 404."
)
_IMAGE_GONE = error(
    "No such picture in this album for you (missing, elsewhere, in the trash, or one you "
    "may not do this to): the same 404 as a missing album."
)
_PAGE = inline_serializer(
    name="PaginatedMemberAlbumImageList",
    fields={
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": MemberAlbumImageSerializer(many=True),
    },
)
_IDS_RESPONSES = {
    200: AlbumImagesResultSerializer,
    400: field_errors("No ids, more than 500, or one that is not a UUID."),
    401: UNAUTHENTICATED,
    404: _GONE,
}

SHARED_ALBUM_RETRIEVE_SCHEMA = extend_schema(
    operation_id="shared_albums_retrieve",
    summary="Open an album shared with me (or one of mine, as its owner)",
    description="Its words, owner, cover and picture count as you see them, your role and "
    "what it lets you do (`permissions`), and what its owner lets members see.",
    tags=_TAGS,
    parameters=[_ALBUM],
    responses={200: MemberAlbumSerializer, 401: UNAUTHENTICATED, 404: _GONE},
)
SHARED_ALBUM_UPDATE_SCHEMA = extend_schema(
    operation_id="shared_albums_update",
    summary="Change a shared album's title, description or cover",
    description="For its editors and its owner. The cover: a picture in the album that you "
    "see, or null for the picture added last.",
    tags=_TAGS,
    parameters=[_ALBUM],
    request=AlbumWordsUpdateSerializer,
    responses={
        200: MemberAlbumSerializer,
        400: field_errors(),
        401: UNAUTHENTICATED,
        404: _GONE,
    },
)
SHARED_ALBUM_IMAGES_LIST_SCHEMA = extend_schema(
    operation_id="shared_albums_images_list",
    summary="List the pictures of a shared album",
    description="Its owner's and its members' pictures, newest upload first, one cursor page "
    "at a time, each with its owner, its likes and signed URLs of the renditions you may "
    "open (no token needed). The date taken and the camera's metadata only where the album "
    "lets members see them, or the picture is yours.",
    tags=_TAGS,
    parameters=[
        _ALBUM,
        OpenApiParameter("cursor", str, description="The page: from `next` or `previous`."),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1},
            description="Pictures per page (default 20); more than 100 gives 100.",
        ),
    ],
    responses={
        200: _PAGE,
        400: field_errors("`page_size` is not a whole number of 1 or more."),
        401: UNAUTHENTICATED,
        404: error(
            "No such album for you (as `shared_albums_retrieve`), or the cursor is invalid."
        ),
    },
)
SHARED_ALBUM_IMAGES_ADD_SCHEMA = extend_schema(
    operation_id="shared_albums_images_add",
    summary="Add my pictures to a shared album",
    description="For its contributors, editors and owner: up to 500 of your own pictures; "
    "per id `added`, `already_in_album` or `not_found` (anyone else's picture too).",
    tags=_TAGS,
    parameters=[_ALBUM],
    request=ImageIdsSerializer,
    responses=_IDS_RESPONSES,
)
SHARED_ALBUM_IMAGES_REMOVE_SCHEMA = extend_schema(
    operation_id="shared_albums_images_remove",
    summary="Remove pictures from a shared album",
    description="A contributor removes their own pictures, an editor or the owner anyone's; "
    "they stay in their owners' galleries. Per id `removed`, `not_in_album` (one of your "
    "pictures that is not in it) or `not_found` (anything you may not remove).",
    tags=_TAGS,
    parameters=[_ALBUM],
    request=ImageIdsSerializer,
    responses=_IDS_RESPONSES,
)
SHARED_ALBUM_IMAGE_RETRIEVE_SCHEMA = extend_schema(
    operation_id="shared_albums_images_retrieve",
    summary="Get one picture of a shared album",
    tags=_TAGS,
    parameters=[_ALBUM, _IMAGE],
    responses={200: MemberAlbumImageSerializer, 401: UNAUTHENTICATED, 404: _IMAGE_GONE},
)
SHARED_ALBUM_IMAGE_SAVE_SCHEMA = extend_schema(
    operation_id="shared_albums_images_save",
    summary="Save someone else's picture of a shared album to my gallery",
    description="A new picture of yours, made from what you may download: the original where "
    "the album lets members have it (without its metadata unless they may see that too), "
    "else the styled rendition. It counts against your quota in full; its files are shared "
    "with the source, not stored twice.",
    tags=_TAGS,
    parameters=[_ALBUM, _IMAGE],
    request=None,
    responses={
        201: ImageSerializer,
        401: UNAUTHENTICATED,
        403: error("Your image count quota is full (`quota_exceeded`)."),
        404: _IMAGE_GONE,
        409: error("The picture has no file to copy yet (`not_ready`)."),
        413: error("Your storage quota is full (`quota_exceeded`)."),
        429: THROTTLED,
    },
)


def shared_album_rendition_schema(rendition: str) -> Any:
    media_types: tuple[str, ...] = (
        ("video/mp4",)
        if rendition in ("video", "motion")
        else ("image/avif", "image/webp", "image/jpeg", "image/png", "image/gif")
    )
    return extend_schema(
        operation_id=f"shared_albums_images_{rendition}_download",
        summary=f"Download the {rendition} rendition of a shared album's picture",
        description="With your token or session, or the signed URL from the picture's `urls` "
        "(no token needed). Streamed by this server; checked on every request, so it stops "
        "the moment you leave the album, the picture leaves it or the album is deleted. The "
        "original only where the album lets members have it (or it is yours), without its "
        "metadata unless they may see that too.",
        tags=_TAGS,
        parameters=[
            _ALBUM,
            _IMAGE,
            OpenApiParameter(
                SIGNATURE_PARAM,
                str,
                required=False,
                description="A signature from the picture's `urls`.",
            ),
        ],
        responses={
            **file_responses(media_types),
            404: _IMAGE_GONE,
            409: error("Not rendered yet (`not_ready`, with Retry-After), or it failed."),
        },
        # A signed URL needs no credentials at all (as ``images.schema.rendition_schema``).
        auth=[{"jwtAuth": []}, {"cookieAuth": []}, {}],  # type: ignore[list-item]
    )
