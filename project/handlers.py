"""DRF's exception handler for Atelier: every error is JSON with a ``detail`` that says why."""

from typing import Any

from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler


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
