"""The OpenAPI description of a shared album's activity, comments and likes, kept apart so
the views read in one sitting (as ``images.schema`` is for the owner's endpoints)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from core.schema import THROTTLED, UNAUTHENTICATED, error, field_errors
from images.activity_serializers import (
    ActivityFilterSerializer,
    AlbumActivitySerializer,
    CommentCreateSerializer,
    LikeSerializer,
)

_TAGS = ["shared_albums"]
_ALBUM = OpenApiParameter(
    "album_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="An album you own, or one shared with you whose invitation you accepted.",
)
_IMAGE = OpenApiParameter(
    "image_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A picture of the album."
)
_COMMENT = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A comment's event id."
)
_NO_ALBUM = error(
    "No such album for you: missing, or not yours and not shared with you (an invitation "
    "not accepted, a membership ended), all alike."
)
_LIKE_RESPONSES = {
    200: LikeSerializer,
    401: UNAUTHENTICATED,
    404: error("No such album for you, or no such picture in it that you can see."),
}

ACTIVITY_LIST_SCHEMA = extend_schema(
    operation_id="shared_album_activity_list",
    summary="A shared album's activity",
    description="What happened in the album, newest first, one cursor page at a time: "
    "pictures added and removed, people who joined and left, comments. An event names its "
    "picture only while you can see it in the album (null once it is trashed, taken out, or "
    "gone with the member who added it). For the album's owner and its members, every role.",
    tags=_TAGS,
    parameters=[_ALBUM, ActivityFilterSerializer],
    responses={
        200: AlbumActivitySerializer(many=True),
        400: field_errors("`image` is not a UUID, or `page_size` not a whole number of 1 or more."),
        401: UNAUTHENTICATED,
        404: error("No such album for you (see the path), or the cursor is invalid."),
    },
)

COMMENT_CREATE_SCHEMA = extend_schema(
    operation_id="shared_album_comments_create",
    summary="Comment on a shared album or one of its pictures",
    description="Any of the album's people may comment (`ATELIER_THROTTLE_ALBUM_COMMENT` "
    "comments a minute per account, 60 by default). The text is trimmed and kept as typed: "
    "the API returns it unchanged and every page escapes it.",
    tags=_TAGS,
    parameters=[_ALBUM],
    request=CommentCreateSerializer,
    responses={
        201: AlbumActivitySerializer,
        400: field_errors(
            "The text is empty, longer than 2,000 characters or has a control character; or "
            "`image` is not a picture of the album you can see."
        ),
        401: UNAUTHENTICATED,
        404: _NO_ALBUM,
        429: THROTTLED,
    },
)

COMMENT_DELETE_SCHEMA = extend_schema(
    operation_id="shared_album_comments_delete",
    summary="Delete a comment",
    description="Your own comment, or any comment in an album you own. Anyone else's comment, "
    "and an event that is not a comment, is the 404 of a missing one.",
    tags=_TAGS,
    parameters=[_ALBUM, _COMMENT],
    responses={
        204: OpenApiResponse(description="Deleted."),
        401: UNAUTHENTICATED,
        404: error("No such album for you, or no comment in it you may delete."),
    },
)

LIKE_SCHEMA = extend_schema(
    operation_id="shared_album_image_like",
    summary="Like a picture of a shared album",
    description="Idempotent: liking twice is one like. Answers the picture's likes in the "
    "album after the change.",
    tags=_TAGS,
    parameters=[_ALBUM, _IMAGE],
    request=None,
    responses=_LIKE_RESPONSES,
)

UNLIKE_SCHEMA = extend_schema(
    operation_id="shared_album_image_unlike",
    summary="Take back a like",
    description="Idempotent: taking back a like that is not there changes nothing. Answers "
    "the picture's likes in the album after the change.",
    tags=_TAGS,
    parameters=[_ALBUM, _IMAGE],
    request=None,
    responses=_LIKE_RESPONSES,
)
