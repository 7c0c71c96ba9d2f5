"""Middleware that keeps every error under /api/ in JSON, whatever produced it."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from rest_framework.response import Response

from project.exceptions import json_error

logger = logging.getLogger("django.request")


class ApiJsonErrorsMiddleware:
    """Turns Django's HTML error pages (404, 405, 500, CSRF 403...) into JSON for API paths.

    DRF already answers its own views' errors in JSON; this covers what happens outside them:
    unmatched URLs, unhandled exceptions and Django's own error views. It never leaks a stack
    trace or a storage path: the body is the status phrase.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request) and _has_nul(request):
            # PostgreSQL cannot store or compare NUL characters; refuse them up front
            # rather than let a search or filter fail deep in the database driver.
            return json_error(400, "Query parameters must not contain NUL characters.")
        response = self.get_response(request)
        if (
            _is_api(request)
            and response.status_code >= 400
            # DRF's own responses are already negotiated (JSON, or HTML for the browsable API).
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = json_error(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return json_error(500)


def _has_nul(request: HttpRequest) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in request.GET.items())


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")
