"""The OpenAPI description of the image endpoints, kept apart so the views read in one sitting.

drf-spectacular reads most of the contract from the views and serializers; what it cannot
know (the binary responses, the signed-URL security, the error responses each operation can
give) is declared here.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from core.schema import NOT_FOUND, THROTTLED, UNAUTHENTICATED, error, field_errors
from images.links import SIGNATURE_PARAM
from images.serializers import (
    AlbumCreateSerializer,
    AlbumImagesResultSerializer,
    AlbumSerializer,
    AlbumUpdateSerializer,
    ImageCreateSerializer,
    ImageIdsSerializer,
    ImageSerializer,
    ImageUpdateSerializer,
    PermanentDeleteSerializer,
    StyleSerializer,
    TrashedImageSerializer,
    TrashEmptiedSerializer,
)
from images.share_serializers import (
    ShareCreateSerializer,
    ShareSerializer,
    ShareUpdateSerializer,
)


def file_responses(media_types: tuple[str, ...]) -> dict[Any, Any]:
    return {
        **{(200, media_type): OpenApiTypes.BINARY for media_type in media_types},
        # HTTP range requests (RFC 9110 §14): `Range: bytes=a-b`, `a-` or `-n`, several at
        # once as multipart/byteranges; `If-Range` with the ETag or Last-Modified.
        **{(206, media_type): OpenApiTypes.BINARY for media_type in media_types},
        (206, "multipart/byteranges"): OpenApiTypes.BINARY,
        304: OpenApiResponse(description="Not modified (the If-None-Match ETag matches)."),
        416: error(
            "No range the `Range` header asks for starts inside the file "
            "(`range_not_satisfiable`; `Content-Range: bytes */<size>`)."
        ),
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
            "needed). The processed rendition, the preview and the thumbnail are chosen by "
            "`Accept` (`Vary: Accept`): AVIF to a client that names `image/avif` (as "
            "browsers send: `image/avif,image/webp,*/*`; the preview and the thumbnail have "
            "AVIF, the processed rendition WebP), else WebP to one that names "
            "`image/webp`, else JPEG, or PNG where the image has transparency; `*/*`, "
            "`image/*` or no `Accept` gets the JPEG or PNG, which every client reads. Each "
            "format has its own ETag. A 406 only where none of them is admitted."
        )
        media_types: tuple[str, ...] = ("image/avif", "image/webp", "image/jpeg", "image/png")
    else:
        how = " Send a bearer token (or a session cookie). The format is the upload's."
        media_types = ("image/jpeg", "image/png", "image/webp", "image/gif")
    return extend_schema(
        operation_id=f"images_{rendition}_download",
        summary=f"Download the {rendition} rendition",
        description=f"{what}{how} Another account's image is a 404.",
        parameters=[_ID_PARAMETER, _SIGNATURE_PARAMETER] if signed else [_ID_PARAMETER],
        responses={
            **file_responses(media_types),
            **(
                {409: error("Not rendered yet (`not_ready`, with Retry-After), or it failed.")}
                if signed
                else {}
            ),
        },
        # A signed URL needs no credentials at all. extend_schema(auth=) takes OpenAPI security
        # requirement objects, as here; drf-spectacular types it Sequence[str].
        auth=[{"jwtAuth": []}, {"cookieAuth": []}, {}] if signed else None,  # type: ignore[list-item]
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
                enum=[
                    "-created_at",
                    "created_at",
                    "-taken_at",
                    "taken_at",
                    # timeline (issue 22, item 1)
                    "-timeline_at",
                    "timeline_at",
                ],
                description="Newest upload first (`-created_at`, the default) or oldest "
                "first; or by the date the photo was taken (`-taken_at`: latest first), "
                "where images without a date come last either way; or by the timeline "
                "(`-timeline_at`: the camera's local date, else the upload's; every picture "
                "has one), which `timeline_from` can start at any day or month.",
            ),
            OpenApiParameter(
                "album",
                OpenApiTypes.UUID,
                description="Only the images in this album of yours (its id); another "
                "account's album is a 404, like a missing one.",
            ),
            OpenApiParameter(
                "checksum",
                {"type": "string", "maxLength": 64, "pattern": "^[^\\u0000]*$"},
                description="SHA-256 of the original, hex, any case: finds a duplicate.",
            ),
            # Places (issue 22, item 3): the filters' lengths, as they refuse them.
            OpenApiParameter(
                "country_code",
                {"type": "string", "minLength": 2, "maxLength": 2, "pattern": "^[A-Za-z]{2}$"},
                description="Only the pictures taken in this country: ISO 3166-1 alpha-2 "
                "(FR, any case), as `places/` gives it.",
            ),
            OpenApiParameter(
                "region",
                {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000]*$"},
                description="Only the pictures taken in this region, exactly as `places/` "
                "names it.",
            ),
            OpenApiParameter(
                "city",
                {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000]*$"},
                description="Only the pictures taken in this city, exactly as `places/` names "
                "it (combine with `country_code`: more than one country has a Paris).",
            ),
            # Partner sharing (issue 20, item 4).
            OpenApiParameter(
                "include_partners",
                str,
                enum=["true", "false"],
                description="`true`: the pictures of the accounts that share their library "
                "with the caller are mixed in, in the same order, each marked with `partner` "
                "(null on the caller's own) and with signed URLs for the caller. `checksum`, "
                "`album`, `is_favorite=true` and the place filters (`country_code`, `region`, "
                "`city`, `has_location`) then list no partner's picture; search finds a "
                "partner's picture by its title.",
            ),
        ],
        responses={
            200: ImageSerializer(many=True),
            400: field_errors("A filter value is invalid."),
            401: UNAUTHENTICATED,
            404: error("The cursor is invalid, or the album is not one of yours."),
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


_PAGE_ERRORS = {
    400: field_errors("`page_size` is not a whole number of 1 or more."),
    401: UNAUTHENTICATED,
    404: error("The cursor is invalid."),
}


def _not_found(what: str) -> OpenApiResponse:
    return error(f"No such {what} of yours (another account's is the same 404).")


TRASH_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="trash_list",
        summary="List the trash",
        description="The caller's images in the trash, most recently trashed first, with "
        "when each will be purged. They still count against the quota.",
        responses={200: TrashedImageSerializer(many=True), **_PAGE_ERRORS},
    ),
    retrieve=extend_schema(
        operation_id="trash_retrieve",
        summary="Get one image in the trash",
        parameters=[_ID_PARAMETER],
        responses={200: TrashedImageSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        operation_id="trash_purge",
        summary="Purge one image from the trash",
        description="Deletes the image and its files for good.",
        parameters=[_ID_PARAMETER],
        responses={
            204: OpenApiResponse(description="Deleted for good."),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    ),
    restore=extend_schema(
        operation_id="trash_restore",
        summary="Restore an image from the trash",
        description="Puts the image back in the gallery, its albums and their share links.",
        parameters=[_ID_PARAMETER],
        request=None,
        responses={200: ImageSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    ),
    empty=extend_schema(
        operation_id="trash_empty",
        summary="Empty the trash",
        description="Deletes every image in the trash, and their files, for good.",
        request=None,
        responses={200: TrashEmptiedSerializer, 401: UNAUTHENTICATED},
    ),
)

_IMAGE_IDS_RESPONSES = {
    200: AlbumImagesResultSerializer,
    400: field_errors("No ids, more than 500, or one that is not a UUID."),
    401: UNAUTHENTICATED,
    404: _not_found("album"),
}

ALBUM_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="albums_list",
        summary="List my albums",
        description="The caller's albums, newest first, one cursor page at a time. An "
        "album's images: `GET images/?album={id}`.",
        responses={200: AlbumSerializer(many=True), **_PAGE_ERRORS},
    ),
    retrieve=extend_schema(
        operation_id="albums_retrieve",
        summary="Get one album",
        parameters=[_ID_PARAMETER],
        responses={200: AlbumSerializer, 401: UNAUTHENTICATED, 404: _not_found("album")},
    ),
    create=extend_schema(
        operation_id="albums_create",
        summary="Create an album",
        request=AlbumCreateSerializer,
        responses={201: AlbumSerializer, 400: field_errors(), 401: UNAUTHENTICATED},
    ),
    partial_update=extend_schema(
        operation_id="albums_update",
        summary="Change an album",
        description="The title, the description, the cover (an image in the album; null "
        "for the image added last), or what the album's members get beyond the styled "
        "renditions (`members_see_originals`, `members_see_metadata`; both off by default).",
        parameters=[_ID_PARAMETER],
        request=AlbumUpdateSerializer,
        responses={
            200: AlbumSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            404: _not_found("album"),
        },
    ),
    destroy=extend_schema(
        operation_id="albums_delete",
        summary="Delete an album",
        description="Deletes the album and revokes its share links; its images stay.",
        parameters=[_ID_PARAMETER],
        responses={
            204: OpenApiResponse(description="Deleted."),
            401: UNAUTHENTICATED,
            404: _not_found("album"),
        },
    ),
    images=extend_schema(
        operation_id="albums_images_add",
        methods=["PUT"],
        summary="Add images to an album",
        description="Adds up to 500 of your images; the answer says per id `added`, "
        "`already_in_album` or `not_found`.",
        parameters=[_ID_PARAMETER],
        request=ImageIdsSerializer,
        responses=_IMAGE_IDS_RESPONSES,
    ),
    images_remove=extend_schema(
        operation_id="albums_images_remove",
        summary="Remove images from an album",
        description="Removes up to 500 images from the album (they stay in the gallery); the "
        "answer says per id `removed`, `not_in_album` or `not_found`.",
        parameters=[_ID_PARAMETER],
        request=ImageIdsSerializer,
        responses=_IMAGE_IDS_RESPONSES,
    ),
)
ALBUM_IMAGES_DELETE_SCHEMA = extend_schema(
    operation_id="albums_images_delete",
    methods=["DELETE"],
    summary="Remove images from an album (DELETE with a body)",
    description="The same as `POST albums/{id}/images/remove/` (`albums_images_remove`), for "
    "clients that can send a body with DELETE; many generated clients cannot, so prefer the "
    "POST.",
    deprecated=True,
    parameters=[_ID_PARAMETER],
    request=ImageIdsSerializer,
    responses=_IMAGE_IDS_RESPONSES,
)


class AlbumImagesSchema(AutoSchema):
    """Documents the body ``DELETE albums/{id}/images/`` takes.

    drf-spectacular describes a request body for POST, PUT and PATCH only; the view reads
    one on DELETE too, and a schema that leaves it out is a contract the server breaks.
    """

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


class ShareCreateSchema(OpenApiSerializerExtension):
    """``POST shares/`` takes exactly one of ``album`` and ``image_ids``: the request is a
    ``oneOf`` of the two shapes, so a client learns it from the schema rather than a 400.

    Each shape is a component of its own (``ShareCreateAlbumRequest``,
    ``ShareCreateImagesRequest``) that refuses unknown fields, so a body naming both fits
    neither; a generated client gets one model per shape.
    """

    target_class = "images.share_serializers.ShareCreateSerializer"
    _SHAPES = (("ShareCreateAlbumRequest", "album"), ("ShareCreateImagesRequest", "image_ids"))

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        sources = {source for _name, source in self._SHAPES}
        shapes = []
        for name, source in self._SHAPES:
            shape = {
                **schema,
                "description": f"{schema.get('description', '')} This shape: `{source}`.",
                "properties": {
                    field: value
                    for field, value in schema["properties"].items()
                    if field == source or field not in sources
                },
                "required": [source],
            }
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=shape
            )
            auto_schema.registry.register_on_missing(component)
            shapes.append(component.ref)
        return {"oneOf": shapes}


SHARE_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="shares_list",
        summary="List my share links",
        responses={200: ShareSerializer(many=True), **_PAGE_ERRORS},
    ),
    retrieve=extend_schema(
        operation_id="shares_retrieve",
        summary="Get one share link",
        description="With how often it was opened (`view_count`, `last_viewed_at`).",
        parameters=[_ID_PARAMETER],
        responses={200: ShareSerializer, 401: UNAUTHENTICATED, 404: _not_found("share link")},
    ),
    create=extend_schema(
        operation_id="shares_create",
        summary="Share an album or some images",
        description="Makes a link (its `token`: 256 random bits) to one of your albums, "
        "which it follows as it changes, or to a list of your images: give exactly one of "
        "`album` and `image_ids`. Anyone holding the link sees its images' renditions, never "
        "your name or id; the original only with `allow_original`, and the date taken, camera "
        "and GPS only with `show_metadata`. With a `password`, nothing is shown until it is "
        "given to `unlock/`. `url` is the page to give people, `api_url` the endpoint for "
        "programs.",
        request=ShareCreateSerializer,
        responses={201: ShareSerializer, 400: field_errors(), 401: UNAUTHENTICATED},
    ),
    partial_update=extend_schema(
        operation_id="shares_update",
        summary="Change a share link",
        description='A new password (or `""` to remove it) ends every unlock and rendition '
        "URL handed out before.",
        parameters=[_ID_PARAMETER],
        request=ShareUpdateSerializer,
        responses={
            200: ShareSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            404: _not_found("share link"),
        },
    ),
    destroy=extend_schema(
        operation_id="shares_revoke",
        summary="Revoke a share link",
        description="The link, its grants and every URL it handed out stop working at once.",
        parameters=[_ID_PARAMETER],
        responses={
            204: OpenApiResponse(description="Revoked."),
            401: UNAUTHENTICATED,
            404: _not_found("share link"),
        },
    ),
)
