"""API-wide error handling: every error under /api/ is a JSON body that says what went wrong."""

import logging
from http import HTTPStatus
from typing import Any

from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class PayloadTooLarge(APIException):
    """The request body is larger than the server accepts (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(APIException):
    """A backing service (storage, database) failed; the request changed nothing (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; nothing was saved. Try again."
    default_code = "service_unavailable"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus a ``Retry-After``-aware throttle message and extra fields.

    An ``APIException`` may carry ``extra`` (a dict) to add machine-readable facts, such as
    the limit that was hit, next to ``detail``.
    """
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Throttled) and exc.wait is not None:
        response.data = {
            "detail": "Too many requests. Try again later.",
            "code": "throttled",
            "retry_after": int(exc.wait),
        }
    extra = getattr(exc, "extra", None)
    if extra and isinstance(response.data, dict):
        response.data.update(extra)
    return response


def json_error(status_code: int, detail: str | None = None) -> JsonResponse:
    """A JSON error response with the status's standard phrase as the default detail."""
    phrase = HTTPStatus(status_code).phrase
    return JsonResponse({"detail": detail or f"{phrase}."}, status=status_code)
