"""API error types and the JSON error body shared by DRF views and plain Django responses.

This module must not import ``rest_framework.views``: DRF's ``APIView`` loads the parser
classes from settings while it is imported, and ``images.uploads`` (a parser) imports from
here, so that import would be circular. The exception handler lives in ``project.handlers``.
"""

from http import HTTPStatus

from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException


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


def json_error(status_code: int, detail: str | None = None) -> JsonResponse:
    """A JSON error response with the status's standard phrase as the default detail."""
    phrase = HTTPStatus(status_code).phrase
    return JsonResponse({"detail": detail or f"{phrase}."}, status=status_code)
