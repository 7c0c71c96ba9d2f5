"""DRF's exception handler for Atelier: every error is JSON with a ``detail`` and a ``code``."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler

from project.exceptions import django_request_error
from project.throttling import LoginLocked


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's body-limit errors, a throttle message and a ``code``.

    An ``APIException`` may carry ``extra`` (a dict) to add machine-readable facts, such as
    the limit that was hit, next to ``detail``.
    """
    exc = django_request_error(exc) or exc
    # What DRF would convert anyway, converted here so every 404 reads the same and has a code.
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    if isinstance(exc, LoginLocked):
        exc = Throttled(wait=exc.wait)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Throttled) and exc.wait is not None:
        response.data = {
            "detail": "Too many requests. Try again later.",
            "code": "throttled",
            "retry_after": int(exc.wait),
        }
    if (
        isinstance(exc, APIException)
        and isinstance(response.data, dict)
        and set(response.data) == {"detail"}
    ):
        codes = exc.get_codes()
        response.data["code"] = codes if isinstance(codes, str) else exc.default_code
    extra = getattr(exc, "extra", None)
    if extra and isinstance(response.data, dict):
        response.data.update(extra)
    return response
