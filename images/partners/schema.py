"""The OpenAPI description of partner sharing (tag ``partners``)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from core.schema import THROTTLED, UNAUTHENTICATED, error, field_errors
from images.links import SIGNATURE_PARAM
from images.partners.serializers import (
    GalleryImageSerializer,
    PartnershipCreateSerializer,
    PartnershipSerializer,
    PartnershipUpdateSerializer,
)
from images.schema import file_responses

_TAGS = ["partners"]
_PARTNERSHIP_MISSING = error(
    "No such partnership of yours (or not one you may do this to: only the grantor changes "
    "one, only the grantee accepts it)."
)
_LIBRARY_MISSING = error(
    "No such library or picture: an account that does not share its library with you (or "
    "whose offer you have not accepted, or that ended it) is the same 404 as a missing one."
)
_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_GRANTOR = OpenApiParameter(
    "grantor_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The account whose library it is.",
)
_IMAGE = OpenApiParameter("image_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class PartnerLibraryPageSerializer(serializers.Serializer):
    """One cursor page of a partner's library."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = GalleryImageSerializer(many=True)


PARTNERSHIP_VIEWSET_SCHEMA = extend_schema_view(
    list=extend_schema(
        operation_id="partners_list",
        summary="List my partnerships",
        description="Those in which the caller shares their library (`granted`) and those "
        "in which another account shares theirs with the caller (`received`), pending or "
        "accepted, newest first, one cursor page at a time.",
        tags=_TAGS,
        responses={200: PartnershipSerializer(many=True), 401: UNAUTHENTICATED},
    ),
    retrieve=extend_schema(
        operation_id="partners_retrieve",
        summary="Get one partnership",
        tags=_TAGS,
        parameters=[_ID],
        responses={200: PartnershipSerializer, 401: UNAUTHENTICATED, 404: _PARTNERSHIP_MISSING},
    ),
    create=extend_schema(
        operation_id="partners_create",
        summary="Share my library with another account",
        description="Offers the caller's whole library (optionally only pictures taken on "
        "or after `since`; never the trash or the locked folder) to the account named by "
        "its username or email. Pending until they accept. They see the styled renditions; "
        "the originals and the camera's metadata only where `show_originals` and "
        "`show_metadata` say so. Limited per account and per address "
        "(`ATELIER_THROTTLE_PARTNER_INVITE`, 20 an hour by default).",
        tags=_TAGS,
        request=PartnershipCreateSerializer,
        responses={
            201: PartnershipSerializer,
            400: field_errors(
                "A field is invalid; or `user` names no active account (`no_such_account`), "
                "the caller (`partner_self`), or one the library is already offered to "
                "(`partner_exists`)."
            ),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    ),
    partial_update=extend_schema(
        operation_id="partners_update",
        summary="Change what my partner sees",
        description="The grantor changes `since`, `show_originals` or `show_metadata`; it "
        "holds from the next request on.",
        tags=_TAGS,
        parameters=[_ID],
        request=PartnershipUpdateSerializer,
        responses={
            200: PartnershipSerializer,
            400: field_errors(),
            401: UNAUTHENTICATED,
            404: _PARTNERSHIP_MISSING,
        },
    ),
    destroy=extend_schema(
        operation_id="partners_end",
        summary="End a partnership",
        description="Either side ends it, at once (a pending offer is declined or withdrawn "
        "the same way): every URL handed out through it stops working.",
        tags=_TAGS,
        parameters=[_ID],
        responses={204: None, 401: UNAUTHENTICATED, 404: _PARTNERSHIP_MISSING},
    ),
    accept=extend_schema(
        operation_id="partners_accept",
        summary="Accept a library offered to me",
        description="The grantee accepts; accepting again changes nothing.",
        tags=_TAGS,
        parameters=[_ID],
        request=None,
        responses={200: PartnershipSerializer, 401: UNAUTHENTICATED, 404: _PARTNERSHIP_MISSING},
    ),
)

PARTNER_LIBRARY_LIST_SCHEMA = extend_schema(
    operation_id="partner_library_list",
    summary="List a partner's pictures",
    description="The pictures an account shares with the caller (their live pictures since "
    "the partnership's `since`), newest upload first, one cursor page at a time; each "
    "marked with `partner` and with signed URLs that work for the caller only.",
    tags=_TAGS,
    parameters=[
        _GRANTOR,
        OpenApiParameter(
            "ordering",
            str,
            # timeline (issue 22, item 1): the gallery's orders, the timeline's included
            enum=[
                "-created_at",
                "created_at",
                "-taken_at",
                "taken_at",
                "-timeline_at",
                "timeline_at",
            ],
            description="As in the gallery.",
        ),
        OpenApiParameter("cursor", str, description="The page: from `next` or `previous`."),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1},
            description="Pictures per page (default 20); more than 100 gives 100.",
        ),
    ],
    responses={
        200: PartnerLibraryPageSerializer,
        400: field_errors("`ordering` or `page_size` is invalid."),
        401: UNAUTHENTICATED,
        404: _LIBRARY_MISSING,
    },
)

PARTNER_LIBRARY_DETAIL_SCHEMA = extend_schema(
    operation_id="partner_library_retrieve",
    summary="Get one of a partner's pictures",
    tags=_TAGS,
    parameters=[_GRANTOR, _IMAGE],
    responses={200: GalleryImageSerializer, 401: UNAUTHENTICATED, 404: _LIBRARY_MISSING},
)
PARTNER_LIBRARY_SAVE_SCHEMA = extend_schema(
    operation_id="partner_library_save",
    summary="Save one of a partner's pictures to my gallery",
    description="A new picture of yours, made from what you may download: the original where "
    "the partner shows originals (without its metadata unless they show that too), else the "
    "styled rendition. It counts against your quota in full; its files are shared with the "
    "source, not stored twice. Send an `Idempotency-Key` to make a retry safe.",
    tags=_TAGS,
    parameters=[_GRANTOR, _IMAGE],
    request=None,
    responses={
        201: GalleryImageSerializer,
        401: UNAUTHENTICATED,
        403: error("Your image count quota is full (`quota_exceeded`)."),
        404: _LIBRARY_MISSING,
        409: error("The picture has no file to copy yet (`not_ready`)."),
        413: error("Your storage quota is full (`quota_exceeded`)."),
        429: THROTTLED,
    },
)


def partner_rendition_schema(rendition: str) -> Any:
    return extend_schema(
        operation_id=f"partner_library_{rendition}_download",
        summary=f"Download the {rendition} rendition of a partner's picture",
        description="By the caller's token or session, or by the signed URL in the "
        "picture's `urls` (it works for the caller only, and stops when the partnership "
        "ends). Streamed by this server in every delivery mode. The original only where "
        "its owner shows originals, with its metadata removed (pixels untouched) unless "
        "they show metadata too.",
        tags=_TAGS,
        parameters=[
            _GRANTOR,
            _IMAGE,
            OpenApiParameter(
                SIGNATURE_PARAM,
                str,
                required=False,
                description="A signature from the picture's `urls`.",
            ),
        ],
        responses={
            **file_responses(("image/avif", "image/webp", "image/jpeg", "image/png")),
            404: _LIBRARY_MISSING,
            409: error("Not rendered yet (`not_ready`, with Retry-After), or it failed."),
        },
        # A signed URL needs no credentials (security requirement objects, see images.schema).
        auth=[{"jwtAuth": []}, {"cookieAuth": []}, {}],  # type: ignore[list-item]
    )
