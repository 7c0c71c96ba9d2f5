"""The tus 1.0 endpoints: parse the protocol's headers, call one service, answer its headers.

``POST /api/v1/uploads/`` creates, ``HEAD``/``PATCH``/``DELETE`` on an upload's URL resume,
append and cancel, ``OPTIONS`` tells a client what this server supports (tus discovery), and
``GET`` shows an upload's state as JSON. Uploads are read through ``OwnerScopedViewSet``, so
another account's upload is the same 404 as none.
"""

import base64
import binascii
import io
import re
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from rest_framework import status
from rest_framework.exceptions import APIException, UnsupportedMediaType
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import InvalidInput
from core.ownership import OwnerScopedViewSet
from core.throttling import UploadRateThrottle
from idempotency.decorators import idempotent
from resumable import services
from resumable.models import ResumableUpload
from resumable.schema import (
    UPLOAD_APPEND_SCHEMA,
    UPLOAD_CREATE_SCHEMA,
    UPLOAD_DESTROY_SCHEMA,
    UPLOAD_RETRIEVE_SCHEMA,
)
from resumable.serializers import ResumableUploadSerializer, UploadMetadataSerializer
from users.authentication import request_user

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_MEDIA_TYPE = "application/offset+octet-stream"
# An Upload-Metadata header longer than this is refused before it is parsed.
MAX_METADATA_CHARS = 4096
_DIGITS = re.compile(r"[0-9]{1,19}")


class TusVersionUnsupported(APIException):
    """The request does not speak tus 1.0.0 (a 412, with ``Tus-Version``)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "tus_version_unsupported"
    default_detail = f"Send Tus-Resumable: {TUS_VERSION}; it is the version this server speaks."


class ResumableUploadViewSet(OwnerScopedViewSet):
    """The caller's resumable uploads (tus 1.0)."""

    model = ResumableUpload
    permission_classes = [IsAuthenticated]
    serializer_class = ResumableUploadSerializer
    # Any offset and content type: the protocol's bytes are read by the service, never parsed.
    parser_classes: list = []

    def safely_get_queryset(self, queryset: QuerySet) -> QuerySet:
        # An expired upload is gone as far as a client can tell, before the sweep removes it.
        return queryset.filter(expires_at__gt=timezone.now())

    def get_permissions(self) -> list:
        # Discovery tells what the server supports, which is no one's secret. (DRF names an
        # OPTIONS request's action "metadata", whatever it is routed to.)
        if self.request.method == "OPTIONS":
            return [AllowAny()]
        return list(super().get_permissions())

    def get_throttles(self) -> list:
        if self.action == "create":
            return [UploadRateThrottle()]
        return super().get_throttles()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        tus_action = self.action in ("create", "offset", "append", "destroy")
        if tus_action and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise TusVersionUnsupported()

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        if response.status_code == status.HTTP_412_PRECONDITION_FAILED:
            response["Tus-Version"] = TUS_VERSION
        return response

    def discover(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """OPTIONS: the tus versions, extensions and largest upload this server takes."""
        return Response(
            status=status.HTTP_204_NO_CONTENT,
            headers={
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(settings.ATELIER_MAX_RESUMABLE_BYTES),
            },
        )

    @UPLOAD_CREATE_SCHEMA
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        length = _header_integer(request, "Upload-Length")
        metadata = UploadMetadataSerializer(data=_metadata(request))
        metadata.is_valid(raise_exception=True)
        upload = services.upload_create(
            owner=request_user(request), length=length, metadata=dict(metadata.validated_data)
        )
        location = request.build_absolute_uri(reverse("upload-detail", kwargs={"pk": upload.pk}))
        return Response(
            self.get_serializer(upload).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location, **_progress_headers(upload)},
        )

    @UPLOAD_RETRIEVE_SCHEMA
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def offset(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """HEAD: how many bytes are stored, to resume from there."""
        upload = self.get_object()
        headers = {
            **_progress_headers(upload),
            "Upload-Length": str(upload.length),
            "Cache-Control": "no-store",
        }
        return Response(status=status.HTTP_200_OK, headers=headers)

    @UPLOAD_APPEND_SCHEMA
    def append(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = self.get_object()
        if request.content_type.split(";")[0].strip().lower() != OFFSET_MEDIA_TYPE:
            raise UnsupportedMediaType(request.content_type or "(none)")
        offset = _header_integer(request, "Upload-Offset")
        body_length = _header_integer(request, "Content-Length")
        upload = services.upload_append(
            owner=request_user(request),
            upload_id=upload.pk,
            offset=offset,
            body=request.stream or io.BytesIO(),
            body_length=body_length,
        )
        return Response(status=status.HTTP_204_NO_CONTENT, headers=_progress_headers(upload))

    @UPLOAD_DESTROY_SCHEMA
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = self.get_object()
        services.upload_delete(owner=request_user(request), upload_id=upload.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _progress_headers(upload: ResumableUpload) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(upload.offset),
        "Upload-Expires": http_date(upload.expires_at.timestamp()),
    }
    if upload.image_id:
        headers["Upload-Image"] = str(upload.image_id)
    return headers


def _header_integer(request: Request, name: str) -> int:
    """A header holding a non-negative integer; a 400 naming it otherwise."""
    value = request.headers.get(name)
    if value is None:
        raise InvalidInput(f"The {name} header is required.", code="missing_header")
    if not _DIGITS.fullmatch(value.strip()):
        raise InvalidInput(
            f"The {name} header must be a non-negative integer.", code="invalid_header"
        )
    return int(value)


def _metadata(request: Request) -> dict[str, str]:
    """Upload-Metadata decoded: ``key base64value`` pairs, comma-separated (tus 1.0)."""
    raw = request.headers.get("Upload-Metadata", "")
    if len(raw) > MAX_METADATA_CHARS:
        raise InvalidInput(
            f"Upload-Metadata is too long; at most {MAX_METADATA_CHARS} characters.",
            code="invalid_metadata",
        )
    decoded: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        key, _, value = pair.partition(" ")
        try:
            decoded[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"Upload-Metadata: the value of {key!r} is not base64 of UTF-8 text.",
                code="invalid_metadata",
            ) from exc
    return decoded
