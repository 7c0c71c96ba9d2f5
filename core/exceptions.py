"""From errors to HTTP: the JSON error body, and the status of every application error.

Shared by DRF's exception handler (``core.handlers``) and the middleware that answers
outside DRF. This module must not import ``rest_framework.views``: DRF's ``APIView`` loads
the parser classes from settings while it is imported, and the parsers import from here.
"""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import JsonResponse
from rest_framework import status

from core.errors import (
    ApplicationError,
    Conflict,
    Forbidden,
    InvalidInput,
    LimitReached,
    NotFound,
    RangeNotSatisfiable,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)


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


def django_request_error(exc: BaseException) -> ApplicationError | None:
    """The application error for one of Django's own refusals of a request, else ``None``.

    Django raises these while parsing a form or multipart body past its limits
    (``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``..._FILES``, ``..._MEMORY_SIZE``); unmapped, they
    surfaced as 500s.
    """
    if isinstance(exc, TooManyFieldsSent):
        return InvalidInput(
            "The request has too many fields; the limit is 1,000.", code="too_many_fields"
        )
    if isinstance(exc, TooManyFilesSent):
        return InvalidInput(
            "The request has too many files; the limit is 100.", code="too_many_files"
        )
    if isinstance(exc, RequestDataTooBig):
        return TooLarge(
            "A form field is too large; send at most 2.5 MB outside the file.",
            code="payload_too_large",
        )
    if isinstance(exc, SuspiciousOperation):
        return InvalidInput("The request is malformed.", code="bad_request")
    return None


# Which status each kind of application error is, most specific first: a storage quota is a
# TooLarge (413) and an image-count quota a LimitReached (403), both QuotaExceeded.
_STATUS_BY_ERROR: tuple[tuple[type[ApplicationError], int], ...] = (
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
    (TooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (LimitReached, status.HTTP_403_FORBIDDEN),
    (Forbidden, status.HTTP_403_FORBIDDEN),
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Unauthenticated, status.HTTP_401_UNAUTHORIZED),
    (Conflict, status.HTTP_409_CONFLICT),
    (Unprocessable, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (RangeNotSatisfiable, status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE),
    (Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def application_error_response(exc: ApplicationError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The status, body and headers for an application error: the one place they are chosen.

    The body is the API's one error shape; an error about a field also lists it as a field
    error, as a serializer's would be.
    """
    status_code = next(
        (code for kind, code in _STATUS_BY_ERROR if isinstance(exc, kind)),
        status.HTTP_400_BAD_REQUEST,
    )
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if exc.field:
        body["detail"] = f"{exc.field}: {exc.message}"
        body[exc.field] = [exc.message]
    body.update(exc.extra)
    headers = {}
    if status_code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, RangeNotSatisfiable):
        # RFC 9110 §15.5.17: the size the client's ranges missed.
        headers["Content-Range"] = f"bytes */{exc.size}"
        headers["Accept-Ranges"] = "bytes"
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return status_code, body, headers
