"""The OpenAPI description of the members API, kept apart so its views read in one sitting."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from core.schema import THROTTLED, UNAUTHENTICATED, error, field_errors
from images.members.serializers import (
    AlbumSharedWithMeSerializer,
    InvitationSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    MembershipSerializer,
    MemberUpdateSerializer,
)

# The path's first segment would name the tag, and a generated client's module, with a hyphen.
SHARED_ALBUMS_TAG = "shared_albums"
_ALBUM_ID = OpenApiParameter("album_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_MEMBER_ID = OpenApiParameter("member_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_ALBUM_NOT_FOUND = error(
    "No such album of yours: another account's album, one shared with you and a missing one "
    "are the same 404."
)
_MEMBER_NOT_FOUND = error("No such album of yours, or no such member or invitation in it.")
_INVITATION_NOT_FOUND = error(
    "No such pending invitation of yours (another account's is the same 404)."
)
_PAGE_ERRORS = {
    400: field_errors("`page_size` is not a whole number of 1 or more."),
    401: UNAUTHENTICATED,
    404: error("The cursor is invalid."),
}

ALBUM_MEMBER_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="album_members_list",
        summary="List an album's members",
        description="Every member of one of your albums and every pending invitation to it, "
        "oldest first (not paginated).",
        parameters=[_ALBUM_ID],
        responses={200: MemberSerializer(many=True), 401: UNAUTHENTICATED, 404: _ALBUM_NOT_FOUND},
    ),
    create=extend_schema(
        operation_id="album_members_invite",
        summary="Invite an account into an album",
        description="Invites the account with this username or email (any letter case) in a "
        "role; it is `pending` until they accept. Refused: no such active account "
        "(`no_such_account`), yourself (`self_invite`), an account already a member or "
        "invited (`already_member`). Every attempt counts against "
        "`ATELIER_THROTTLE_ALBUM_INVITE` (20 an hour by default).",
        parameters=[_ALBUM_ID],
        request=MemberCreateSerializer,
        responses={
            201: MemberSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            404: _ALBUM_NOT_FOUND,
            429: THROTTLED,
        },
    ),
    partial_update=extend_schema(
        operation_id="album_members_update",
        summary="Change a member's role",
        description="The role of a member, or of a pending invitation.",
        parameters=[_ALBUM_ID, _MEMBER_ID],
        request=MemberUpdateSerializer,
        responses={
            200: MemberSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            404: _MEMBER_NOT_FOUND,
        },
    ),
    destroy=extend_schema(
        operation_id="album_members_remove",
        summary="Remove a member, or withdraw an invitation",
        description="Their access ends at once, and the pictures they added leave the album "
        "(they stay in their own gallery).",
        parameters=[_ALBUM_ID, _MEMBER_ID],
        responses={
            204: OpenApiResponse(description="Removed."),
            401: UNAUTHENTICATED,
            404: _MEMBER_NOT_FOUND,
        },
    ),
)

INVITATION_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="invitations_list",
        summary="List my invitations",
        description="Your pending invitations, newest first: each album's title and who "
        "invited you, nothing else of it until you accept.",
        responses={200: InvitationSerializer(many=True), **_PAGE_ERRORS},
    ),
    accept=extend_schema(
        operation_id="invitations_accept",
        summary="Accept an invitation",
        description="You become a member of the album in the invitation's role; it is then "
        "in `shared-albums/`.",
        parameters=[_ID],
        request=None,
        responses={200: MembershipSerializer, 401: UNAUTHENTICATED, 404: _INVITATION_NOT_FOUND},
    ),
    decline=extend_schema(
        operation_id="invitations_decline",
        summary="Decline an invitation",
        description="The invitation is deleted; the album's owner may invite you again.",
        parameters=[_ID],
        request=None,
        responses={
            204: OpenApiResponse(description="Declined."),
            401: UNAUTHENTICATED,
            404: _INVITATION_NOT_FOUND,
        },
    ),
)

SHARED_ALBUM_LIST_SCHEMA = extend_schema_view(
    get=extend_schema(
        operation_id="shared_albums_list",
        tags=[SHARED_ALBUMS_TAG],
        summary="List the albums shared with me",
        description="Albums of other accounts whose invitations you accepted, the one you "
        "joined last first, one cursor page at a time, with your role in each.",
        responses={200: AlbumSharedWithMeSerializer(many=True), **_PAGE_ERRORS},
    )
)

SHARED_ALBUM_LEAVE_SCHEMA = extend_schema(
    operation_id="shared_albums_leave",
    tags=[SHARED_ALBUMS_TAG],
    summary="Leave an album shared with me",
    description="Your access ends at once and the pictures you added leave the album (they "
    "stay in your gallery). The album's owner cannot leave it (`owner_cannot_leave`): they "
    "delete it instead.",
    request=None,
    responses={
        204: OpenApiResponse(description="Left."),
        400: error("You own this album (`owner_cannot_leave`)."),
        401: UNAUTHENTICATED,
        404: error("No album shared with you has this id."),
    },
)
