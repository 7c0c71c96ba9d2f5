"""Partner sharing's API: the partnerships (both sides), a partner's library, and its files.

Thin views: each parses input, calls one service or selector, or becomes the ``Partner``
principal (``images.access.partner_principal``, read afresh on every request), reads through
its scope (``access.images_visible``) and asks the policy; none decides on its own. A library
the caller is not an accepted partner of is a 404, exactly like one that does not exist.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.urls import reverse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.grants import Grant
from core.throttling import RateThrottle, UploadRateThrottle
from idempotency.decorators import idempotent
from images import access, delivery, saving, selectors
from images.filters import IMAGE_DEFAULT_ORDERING, IMAGE_ORDERING_FIELDS, StrictOrderingFilter
from images.models import Image, Partnership
from images.pagination import ImageCursorPagination, KeysetCursorPagination
from images.partners import schema, services
from images.partners.authentication import PartnerSignatureAuthentication
from images.partners.selectors import partnership_get, partnerships_of
from images.partners.serializers import (
    PartnershipCreateSerializer,
    PartnershipSerializer,
    PartnershipUpdateSerializer,
    partner_image_body,
)
from images.serializers import ImageSerializer
from users.authentication import request_user


class PartnerInviteRateThrottle(RateThrottle):
    """Limits partner offers per account: each says whether an account exists."""

    scope = "partner_invite"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": request_user(request).pk}


class PartnerInviteAddressRateThrottle(RateThrottle):
    """Limits partner offers per client address too, as registration is limited: accounts
    made to ask in turn ask no faster than one could register them."""

    scope = "partner_invite"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        return self.cache_format % {"scope": f"{self.scope}_ip", "ident": self.get_ident(request)}


@schema.PARTNERSHIP_VIEWSET_SCHEMA
class PartnershipViewSet(
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """The partnerships the caller grants and those granted to them."""

    permission_classes = [IsAuthenticated]
    pagination_class = KeysetCursorPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Partnership]:
        if getattr(self, "swagger_fake_view", False):
            return Partnership.objects.none()
        return partnerships_of(user=request_user(self.request))

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return PartnershipCreateSerializer
        if self.action == "partial_update":
            return PartnershipUpdateSerializer
        return PartnershipSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["user"] = request_user(self.request)
        return context

    def get_throttles(self) -> list:
        if self.action == "create":
            return [PartnerInviteRateThrottle(), PartnerInviteAddressRateThrottle()]
        return super().get_throttles()

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        partnership = partnership_get(user=request_user(request), partnership_id=_uuid(pk))
        if partnership is None:
            raise services.PartnershipNotFound()
        return Response(self._representation(partnership))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        partnership = services.partnership_create(
            grantor=request_user(request), **serializer.validated_data
        )
        return Response(self._representation(partnership), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        partnership = services.partnership_update(
            grantor=request_user(request),
            partnership_id=_uuid(pk),
            changes=dict(serializer.validated_data),
        )
        return Response(self._representation(partnership))

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.partnership_end(user=request_user(request), partnership_id=_uuid(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        partnership = services.partnership_accept(
            grantee=request_user(request), partnership_id=_uuid(pk)
        )
        return Response(self._representation(partnership))

    def _representation(self, partnership: Partnership) -> dict[str, Any]:
        return PartnershipSerializer(partnership, context=self.get_serializer_context()).data


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise services.PartnershipNotFound() from None


def _partner(request: Request, grantor_id: uuid.UUID) -> access.Partner:
    """The caller as a partner in ``grantor_id``'s library (with a signed URL's grant where
    the request carried one); a 404 where they are not one."""
    grant = request.auth if isinstance(request.auth, Grant) else None
    partner = access.partner_principal(user=request.user, grantor_id=grantor_id, grant=grant)
    if partner is None:
        raise access.AccessRefused()
    return partner


class PartnerLibraryImageListView(APIView):
    """A partner's library: the pictures its owner shares with the caller, a page at a time."""

    permission_classes = [IsAuthenticated]
    filter_backends = [StrictOrderingFilter]
    ordering_fields = list(IMAGE_ORDERING_FIELDS)
    ordering = [IMAGE_DEFAULT_ORDERING]

    @schema.PARTNER_LIBRARY_LIST_SCHEMA
    def get(self, request: Request, grantor_id: uuid.UUID) -> Response:
        partner = _partner(request, grantor_id)
        images = selectors.image_fields_for_listing(access.images_visible(principal=partner))
        images = StrictOrderingFilter().filter_queryset(request, images, self)
        paginator = ImageCursorPagination()
        page = paginator.paginate_queryset(images, request, view=self)
        context: dict[str, Any] = {}
        return paginator.get_paginated_response(
            [
                partner_image_body(image=image, partner=partner, request=request, cache=context)
                for image in page or []
            ]
        )


class PartnerLibraryImageDetailView(APIView):
    """One picture of a partner's library."""

    permission_classes = [IsAuthenticated]

    @schema.PARTNER_LIBRARY_DETAIL_SCHEMA
    def get(self, request: Request, grantor_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        partner = _partner(request, grantor_id)
        image = _image(partner, image_id)
        access.access_check(principal=partner, action=access.Action.IMAGE_VIEW, target=image)
        return Response(partner_image_body(image=image, partner=partner, request=request, cache={}))


class PartnerLibraryImageSaveView(APIView):
    """Copies one of a partner's pictures into the caller's own gallery."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [UploadRateThrottle]

    @schema.PARTNER_LIBRARY_SAVE_SCHEMA
    @idempotent
    def post(self, request: Request, grantor_id: uuid.UUID, image_id: uuid.UUID) -> Response:
        partner = _partner(request, grantor_id)
        saved = saving.image_save_copy(principal=partner, image=_image(partner, image_id))
        location = request.build_absolute_uri(reverse("image-detail", kwargs={"pk": saved.pk}))
        body = ImageSerializer(saved, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


def _image(partner: access.Partner, image_id: uuid.UUID) -> Image:
    image = access.images_visible(principal=partner).filter(pk=image_id).first()
    if image is None:
        raise access.AccessRefused()
    return image


# A partner's files also accept a signed URL, which the other endpoints never do.
_SIGNED_AUTHENTICATION: list = [
    PartnerSignatureAuthentication,
    *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
]


class PartnerLibraryRenditionView(APIView):
    """One rendition of a partner's picture: by the caller's token or session, or by the
    signed URL a partner's page handed out."""

    rendition = ""
    authentication_classes = _SIGNED_AUTHENTICATION
    permission_classes = [IsAuthenticated]
    content_negotiation_class = delivery.FileContentNegotiation

    def get(self, request: Request, grantor_id: uuid.UUID, image_id: uuid.UUID) -> HttpResponseBase:
        partner = _partner(request, grantor_id)
        wanted = access.rendition_action(self.rendition)
        if not access.access_possible(principal=partner, action=wanted):
            raise access.AccessRefused()
        image = _image(partner, image_id)
        access.access_check(
            principal=partner,
            action=wanted,
            target=access.Rendition(image=image, name=self.rendition),
        )
        # Streamed, never a redirect to the storage: a presigned URL would outlive the
        # partnership by its lifetime, and ending one ends everything at once.
        return delivery.rendition_response_shared(
            request,
            image,
            self.rendition,
            metadata_shown=access.access_allows(
                principal=access.Partner(user=partner.user, partnership=partner.partnership),
                action=access.Action.METADATA_VIEW,
                target=image,
            ),
        )


def _rendition_view(name: str) -> type[PartnerLibraryRenditionView]:
    """The view of one rendition, with its own schema."""

    class View(PartnerLibraryRenditionView):
        rendition = name

        @schema.partner_rendition_schema(name)
        def get(
            self, request: Request, grantor_id: uuid.UUID, image_id: uuid.UUID
        ) -> HttpResponseBase:
            return super().get(request, grantor_id, image_id)

    View.__name__ = View.__qualname__ = f"PartnerLibrary{name.capitalize()}View"
    return View


PARTNER_RENDITION_VIEWS = {name: _rendition_view(name) for name in delivery.RENDITIONS}
