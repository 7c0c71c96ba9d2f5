"""A share link's public endpoints: its page, its unlock, and its renditions' bytes.

No account credentials are read at all: a bearer token or session sent along is ignored, as
a share is not the owner's account, and a visitor's own account (if any) must not change what
a link shows. Each request opens the link (``images.shares.share_open``: unknown, expired and
revoked are one 404), becomes a principal (``images.access.share_principal``), reads through
that principal's scope and asks the policy; the views decide nothing themselves.
"""

import uuid
from datetime import UTC, datetime

from django.http import HttpResponseBase
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from images import access, delivery, shares
from images.errors import RenditionNotReady
from images.links import SIGNATURE_PARAM
from images.pagination import SharedCursorPagination
from images.public.schema import (
    SHARED_DETAIL_SCHEMA,
    SHARED_UNLOCK_SCHEMA,
    shared_rendition_schema,
)
from images.public.serializers import (
    SharedImageSerializer,
    ShareGrantSerializer,
    ShareUnlockSerializer,
)
from images.video_schema import shared_video_rendition_schema

GRANT_HEADER = "X-Share-Grant"


class _SharedView(APIView):
    """Base of the public share endpoints: no account credentials are read at all."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def _grant(self, request: Request) -> str | None:
        return request.headers.get(GRANT_HEADER)


class SharedDetailView(_SharedView):
    """The images a share link shows, one cursor page at a time."""

    @SHARED_DETAIL_SCHEMA
    def get(self, request: Request, token: str) -> Response:
        share = shares.share_open(token=token)
        visitor = access.share_principal(share=share, grant=self._grant(request))
        access.access_check(principal=visitor, action=access.Action.SHARE_VIEW, target=share)
        paginator = SharedCursorPagination()
        images = access.images_visible(principal=visitor)
        page = paginator.paginate_queryset(images, request, view=self)
        if paginator.cursor is None and request.method == "GET":
            shares.share_viewed(share=share)  # a visit: not each page of it, not a HEAD
        album = share.album if share.album_id is not None else None  # read with the link
        if album is not None and not access.access_allows(
            principal=visitor, action=access.Action.ALBUM_LIST, target=album
        ):
            album = None
        context = {"request": request, "visitor": visitor}
        return Response(
            {
                "title": share.title,
                "album": (
                    {"title": album.title, "description": album.description}
                    if album is not None
                    else None
                ),
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": SharedImageSerializer(page, many=True, context=context).data,
            }
        )


class SharedUnlockView(_SharedView):
    """Trades a link's password for a grant to send with every request to it."""

    @SHARED_UNLOCK_SCHEMA
    def post(self, request: Request, token: str) -> Response:
        share = shares.share_open(token=token)
        serializer = ShareUnlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant, expires = shares.share_unlock(
            share=share, password=serializer.validated_data["password"], request=request
        )
        body = {"grant": grant, "expires_at": datetime.fromtimestamp(expires, tz=UTC)}
        return Response(ShareGrantSerializer(body).data)


class SharedRenditionView(_SharedView):
    """One rendition of one image of a share, by the signed URL the share's page gave."""

    rendition = ""
    content_negotiation_class = delivery.FileContentNegotiation

    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        share = shares.share_open(token=token)
        principal = access.share_principal(
            share=share,
            grant=self._grant(request),
            signature=request.query_params.get(SIGNATURE_PARAM, ""),
            image_id=image_id,
            rendition=self.rendition,
        )
        # A visitor of a locked link without its grant is told to unlock; any other refusal
        # (a forged, expired or moved URL, the original where the link keeps it) is the same
        # 404 as a missing image.
        access.access_check(principal=principal, action=access.Action.SHARE_VIEW, target=share)
        if not access.access_possible(
            principal=principal, action=access.rendition_action(self.rendition)
        ):
            raise access.AccessRefused()
        image = access.images_visible(principal=principal).filter(pk=image_id).first()
        if image is None:
            raise access.AccessRefused()
        access.access_check(
            principal=principal,
            action=access.rendition_action(self.rendition),
            target=access.Rendition(image=image, name=self.rendition),
        )
        if not delivery.rendition_key(image, self.rendition):
            raise RenditionNotReady(image=image, rendition=self.rendition)
        stripped = self.rendition == access.ORIGINAL and not access.access_allows(
            principal=principal, action=access.Action.METADATA_VIEW, target=image
        )
        return delivery.rendition_response(
            request,
            image,
            self.rendition,
            visitor=True,
            stripped_key=(lambda: shares.share_original_stripped_key(image=image))
            if stripped
            else None,
        )


class SharedProcessedView(SharedRenditionView):
    rendition = "processed"

    @shared_rendition_schema("processed")
    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        return super().get(request, token, image_id)


class SharedPreviewView(SharedRenditionView):
    rendition = "preview"

    @shared_rendition_schema("preview")
    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        return super().get(request, token, image_id)


class SharedThumbnailView(SharedRenditionView):
    rendition = "thumbnail"

    @shared_rendition_schema("thumbnail")
    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        return super().get(request, token, image_id)


class SharedOriginalView(SharedRenditionView):
    rendition = "original"

    @shared_rendition_schema("original")
    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        return super().get(request, token, image_id)


class SharedVideoView(SharedRenditionView):
    rendition = "video"

    @shared_video_rendition_schema("video")
    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        return super().get(request, token, image_id)


class SharedMotionView(SharedRenditionView):
    rendition = "motion"

    @shared_video_rendition_schema("motion")
    def get(self, request: Request, token: str, image_id: uuid.UUID) -> HttpResponseBase:
        return super().get(request, token, image_id)
