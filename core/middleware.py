"""Middleware that keeps every answer under /api/ in JSON, whatever produced it.

It sits just inside ``SecurityMiddleware``, so it sees the request before any other
middleware can fail on it (a foreign ``Host``, a query with a thousand fields) and sees every
response on the way out, including error pages other middleware made.
"""

import logging
from collections.abc import Callable

from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from rest_framework.response import Response

from core.errors import ApplicationError
from core.exceptions import application_error_response, django_request_error, json_error

logger = logging.getLogger("django.request")

# No query parameter this API reads needs more; a longer one is a probe, and some (search,
# filters) turn into SQL whose size grows with them.
MAX_QUERY_VALUE_LENGTH = 2048


class ApiJsonErrorsMiddleware:
    """Turns Django's HTML error pages (404, 405, 500, CSRF 403...) into JSON for API paths.

    DRF already answers its own views' errors in JSON; this covers what happens outside them:
    unmatched URLs, a missing trailing slash, a foreign Host, unhandled exceptions and
    Django's own error views. It never leaks a stack trace or a storage path. API responses
    that set no ``Cache-Control`` get ``no-store``: they carry tokens or account data.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_api(request):
            return _page_write_without_slash(request) or self.get_response(request)
        response = _refusal(request) or self.get_response(request)
        if response.status_code >= 400 and not _is_json_or_browsable(response):
            replacement = json_error(response.status_code)
            # Keep what the other middleware said (security headers, Allow, Retry-After...).
            for header, value in response.items():
                if header.lower() not in ("content-type", "content-length"):
                    replacement[header] = value
            response = replacement
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        error = django_request_error(exception) or exception
        if isinstance(error, ApplicationError):
            status_code, body, headers = application_error_response(error)
            return JsonResponse(body, status=status_code, headers=headers)
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return json_error(500)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer to a request refused before routing, or ``None`` to go on."""
    try:
        request.get_host()
    except DisallowedHost:
        return json_error(
            400, "The Host header names a host this server does not serve.", "disallowed_host"
        )
    try:
        query = list(request.GET.lists())
    except SuspiciousOperation as exc:
        error = django_request_error(exc)
        assert error is not None
        status_code, body, headers = application_error_response(error)
        return JsonResponse(body, status=status_code, headers=headers)
    for key, values in query:
        if len(values) > 1:
            # Every parameter of this API takes one value; silently using the last of several
            # would answer a question the client did not ask.
            return json_error(
                400, f"The query parameter {key[:64]!r} is given more than once.", "repeated"
            )
        value = values[0]
        if "\x00" in key or "\x00" in value:
            # PostgreSQL cannot store or compare NUL characters; refuse them up front
            # rather than let a search or filter fail deep in the database driver.
            return json_error(400, "Query parameters must not contain NUL characters.")
        if len(key) > MAX_QUERY_VALUE_LENGTH or len(value) > MAX_QUERY_VALUE_LENGTH:
            return json_error(
                400,
                f"Query parameters must be at most {MAX_QUERY_VALUE_LENGTH} characters.",
                "query_too_long",
            )
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not (
        request.META.get("CONTENT_LENGTH")
    ):
        # WSGI servers hand Django a chunked body as an empty one: the upload would be
        # answered "No file was submitted", which sends the client looking in the wrong place.
        return json_error(
            411,
            "Send the body with a Content-Length; chunked transfer encoding is not accepted "
            "(with curl, upload a file with -F file=@photo.jpg rather than from a pipe).",
            "length_required",
        )
    path = request.path_info
    if not path.endswith("/") and not is_valid_path(path) and is_valid_path(f"{path}/"):
        # Django's APPEND_SLASH answers a 301 that drops a POST's body (or, with DEBUG on,
        # an HTML error); a 308 tells the client to repeat the same request there.
        location = f"{request.path}/"
        response = JsonResponse(
            {
                "detail": f"This URL needs a trailing slash: repeat the request to {location}",
                "code": "trailing_slash_required",
            },
            status=308,
        )
        response["Location"] = location
        return response
    return None


def _page_write_without_slash(request: HttpRequest) -> HttpResponse | None:
    """A 308 to the page's URL with its slash, for a write (a form's POST) that left it off.

    Django's APPEND_SLASH redirects only what it can repeat as a GET: a POST gets a 301 that
    browsers follow as a GET, losing the form (and with DEBUG on, a 500). A 308 repeats the
    same request, body included, as the API's paths already answer.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None  # APPEND_SLASH's own 301 is right for these
    path = request.path_info
    if path.endswith("/") or is_valid_path(path) or not is_valid_path(f"{path}/"):
        return None
    response = HttpResponse(status=308)
    response["Location"] = request.get_full_path(force_append_slash=True)
    return response


def _is_json_or_browsable(response: HttpResponse) -> bool:
    """JSON, or the browsable API's HTML page that a browser negotiated on purpose."""
    if response.get("Content-Type", "").startswith("application/json"):
        return True
    renderer = getattr(response, "accepted_renderer", None)
    return isinstance(response, Response) and getattr(renderer, "format", None) == "api"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")
