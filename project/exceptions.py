"""API error types and the JSON error body shared by DRF views and plain Django responses.

This module must not import ``rest_framework.views``: DRF's ``APIView`` loads the parser
classes from settings while it is imported, and ``images.uploads`` (a parser) imports from
here, so that import would be circular. The exception handler lives in ``project.handlers``.
"""

from http import HTTPStatus

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError


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


def status_code_name(status_code: int) -> str:
    """A stable machine-readable code for a bare HTTP status: 404 → ``not_found``."""
    return HTTPStatus(status_code).name.lower()


def json_error(
    status_code: int, detail: str | None = None, code: str | None = None
) -> JsonResponse:
    """A JSON error response; by default the status's phrase, as a sentence ("Not found.").

    DRF words its own errors the same way, so a 404 reads alike wherever it came from.
    """
    phrase = HTTPStatus(status_code).phrase.capitalize()
    return JsonResponse(
        {"detail": detail or f"{phrase}.", "code": code or status_code_name(status_code)},
        status=status_code,
    )


def django_request_error(exc: BaseException) -> APIException | None:
    """The API error for one of Django's own refusals of a request body, else ``None``.

    Django raises these while parsing a form or multipart body past its limits
    (``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``..._FILES``, ``..._MEMORY_SIZE``); unmapped, they
    surfaced as 500s.
    """
    if isinstance(exc, TooManyFieldsSent):
        return ParseError(
            "The request has too many fields; the limit is 1,000.", code="too_many_fields"
        )
    if isinstance(exc, TooManyFilesSent):
        return ParseError(
            "The request has too many files; the limit is 100.", code="too_many_files"
        )
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(
            "A form field is too large; send at most 2.5 MB outside the file.",
            code="payload_too_large",
        )
    if isinstance(exc, SuspiciousOperation):
        return ParseError("The request is malformed.", code="bad_request")
    return None
