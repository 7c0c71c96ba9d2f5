"""DRF's exception handler for Atelier: every error body has one shape.

``detail`` is a sentence for a person, ``code`` a stable machine-readable word, and where
the error is about fields, each field maps to its list of messages beside them:

    {"detail": "username: A user with that username already exists.", "code": "unique",
     "username": ["A user with that username already exists."]}

Some errors add facts next to these (``retry_after``, a quota's ``limit``...), carried by the
exception's ``extra`` dict.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework.exceptions import (
    APIException,
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationError,
)
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import ApplicationError
from core.exceptions import application_error_response, django_request_error
from core.throttling import LoginLocked

NOT_FOUND_DETAIL = "Not found."
_EXPIRED = "Token is expired"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the application's and Django's errors, in the one error shape."""
    exc = django_request_error(exc) or exc
    if isinstance(exc, ApplicationError):
        status_code, body, headers = application_error_response(exc)
        return Response(body, status=status_code, headers=headers)
    # What DRF would convert anyway, converted here so every 404 reads the same and has a code.
    if isinstance(exc, Http404):
        exc = NotFound(NOT_FOUND_DETAIL)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    elif isinstance(exc, LoginLocked):
        exc = Throttled(wait=exc.wait)
    response = exception_handler(exc, context)
    if response is None:
        return None
    # DRF's Throttled sets .wait; djangorestframework-stubs 3.16 does not declare it.
    wait: float | None = getattr(exc, "wait", None) if isinstance(exc, Throttled) else None
    if wait is not None:
        response.data = {
            "detail": "Too many requests. Try again later.",
            "code": "throttled",
            "retry_after": int(wait),
        }
    elif isinstance(exc, ValidationError):
        response.data = _field_errors_body(exc)
    elif isinstance(exc, APIException) and isinstance(response.data, dict):
        response.data = _detail_body(exc, response.data)
    extra = getattr(exc, "extra", None)
    if extra and isinstance(response.data, dict):
        response.data.update(extra)
    return response


def _detail_body(exc: APIException, data: dict[str, Any]) -> dict[str, Any]:
    """``detail`` and ``code`` at the top, whatever nested form the exception took."""
    body = dict(data)
    own = body.get("code")  # simplejwt's errors carry their code as a value in the body
    codes = exc.get_codes()
    if isinstance(own, str) and own:
        code = str(own)
    else:
        code = codes if isinstance(codes, str) else exc.default_code
    body["code"] = code
    # simplejwt puts why a token failed in ``messages``; the reason belongs in ``detail``.
    messages = body.get("messages")
    if isinstance(messages, list) and messages:
        reasons = [str(m.get("message", "")) for m in messages if isinstance(m, dict)]
        if _EXPIRED in reasons:
            body["detail"] = "The access token has expired; refresh it or log in again."
            body["code"] = "token_expired"
        elif reasons:
            body["detail"] = f"The access token is not valid: {reasons[0].lower()}."
    detail = str(body.get("detail", "")).strip()
    # Libraries word some errors as fragments ("Token is invalid"); a sentence ends.
    if detail and not detail.endswith((".", "!", "?", ")")):
        body["detail"] = f"{detail}."
    return body


def _field_errors_body(exc: ValidationError) -> dict[str, Any]:
    """Field errors as DRF gives them, with a ``detail`` that quotes the first one."""
    detail = exc.detail
    codes = exc.get_codes()
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
        codes = {"non_field_errors": codes}
    fields: dict[str, Any] = {name: _flat(messages) for name, messages in detail.items()}
    first_field, first_messages = next(iter(fields.items()), ("", ["Invalid input."]))
    first_message = _first_text(first_messages)
    first_code = _first_text(codes.get(first_field, "invalid")) if isinstance(codes, dict) else ""
    count = sum(_count(messages) for messages in fields.values())
    prefix = "" if first_field in ("", "non_field_errors") else f"{first_field}: "
    more = f" (and {count - 1} more)" if count > 1 else ""
    return {
        "detail": f"{prefix}{first_message}{more}",
        "code": first_code or "invalid",
        **fields,
    }


def _flat(messages: Any, where: str = "") -> list[str]:
    """A field's messages as one list of sentences, however DRF nested them.

    A list field's errors come keyed by position (``{0: ["Must be a valid UUID."]}``); the
    one error shape is a list of strings per field, so each says where it applies instead:
    ``"Item 0: Must be a valid UUID."``.
    """
    if isinstance(messages, dict):
        return [
            text
            for key, value in messages.items()
            for text in _flat(value, f"{where}{_place(key)}: ")
        ]
    if isinstance(messages, list):
        return [text for value in messages for text in _flat(value, where)]
    return [f"{where}{messages}"]


def _place(key: Any) -> str:
    return f"Item {key}" if isinstance(key, int) else str(key)


def _first_text(value: Any) -> str:
    while isinstance(value, list | dict):
        if not value:
            return ""
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return str(value)


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count(v) for v in value) if value else 0
    return 1
